"""Staff administration for administrators (/staff/admin): invite, change role, deactivate.

The rules live in services/staff_admin; these views only read forms, call it and say what
happened. Every change is a POST with a CSRF token and is audited by the service.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user

from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.services import staff_admin
from portal.services.invitations import Signer
from portal.staff import bp
from portal.staff.access import admin_required
from portal.staff.admin_forms import ConfirmForm, InviteStaffForm, RoleForm

REFUSALS = {
    staff_admin.Refusal.EMAIL_TAKEN: _l("That email address already has an account."),
    staff_admin.Refusal.LAST_ADMIN: _l("The portal needs at least one active administrator. Make "
                                       "someone else an administrator first."),
}


def _page(invite_form: InviteStaffForm | None = None, status: int = 200):
    """The list of staff with their forms, and the invitation form."""
    form = invite_form or InviteStaffForm(language=str(get_locale()))
    return render_template("staff/admin.html", form=form,
                           staff=staff_admin.staff_members(db.session)), status


def _member(user_id: int):
    """The staff account `user_id`, or 404."""
    user = staff_admin.find_staff(db.session, user_id)
    if user is None:
        abort(404)
    return user


def _commit_or_refuse(change, success: str):
    """Run `change`; commit and say `success`, or roll back and say why not."""
    try:
        change()
    except staff_admin.StaffChangeRefused as refused:
        db.session.rollback()
        flash(str(REFUSALS[refused.code]), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("staff.admin"), 303)


@bp.route("/admin", methods=["GET"])
@admin_required
def admin():
    """Staff accounts and the invitation form."""
    return _page()


@bp.route("/admin/invite", methods=["POST"])
@admin_required
def admin_invite():
    """Invite a new reviewer or administrator by email."""
    form = InviteStaffForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    signer = Signer.from_config(current_app.config)
    try:
        staff_admin.invite(db.session, signer, email=form.email.data, role=form.role.data,
                           locale=form.language.data, actor=current_user)
    except staff_admin.StaffChangeRefused as refused:
        db.session.rollback()
        form.email.errors = [str(REFUSALS[refused.code])]
        return _page(form, 400)
    db.session.commit()
    flash(str(_l("Invitation sent to %(email)s.", email=form.email.data)), "success")
    return redirect(url_for("staff.admin"), 303)


@bp.route("/admin/<int:user_id>/role", methods=["POST"])
@admin_required
def admin_role(user_id: int):
    """Change a staff member's role."""
    user, form = _member(user_id), RoleForm()
    if not form.validate_on_submit():
        abort(400)
    return _commit_or_refuse(lambda: staff_admin.change_role(db.session, user, form.role.data,
                                                            actor=current_user),
                             str(_l("Role changed for %(email)s.", email=user.email)))


@bp.route("/admin/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def admin_deactivate(user_id: int):
    """Close a staff account; its sessions end at once."""
    user = _member(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _commit_or_refuse(lambda: staff_admin.deactivate(db.session, user, actor=current_user),
                             str(_l("%(email)s can no longer log in. Their sessions have ended.",
                                    email=user.email)))


@bp.route("/admin/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def admin_reactivate(user_id: int):
    """Open a closed staff account again."""
    user = _member(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _commit_or_refuse(lambda: staff_admin.reactivate(db.session, user, actor=current_user),
                             str(_l("%(email)s can log in again.", email=user.email)))
