"""A customer logs in, sees their data and logs out; the old cookie stops working."""

from portal.demo import DEMO_PASSWORD

MAIJA = "maija.meikalainen@esimerkki.example"


def test_login_my_data_logout_kills_old_cookie(app, client, auth, demo):
    response = auth.login(MAIJA, DEMO_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    page = client.get("/account")
    assert page.status_code == 200
    assert "Meikäläinen" in page.get_data(as_text=True)
    stolen = client.get_cookie("portal_session").value

    auth.logout()
    thief = app.test_client()
    thief.set_cookie("portal_session", stolen)
    response = thief.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
