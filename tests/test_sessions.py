"""Sessions end when they should, API tokens are named, expire and can be revoked, and sign-in
failures neither reveal which user names exist nor let anyone lock an account from elsewhere."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from engine import Engine
from engine import EngineSettings
from engine import clock
from engine.errors import AccountLocked
from engine.errors import LoginFailed
from engine.errors import NotAllowed
from party import PARTY
from tests.webhelpers import csrf
from tests.webhelpers import login
from tests.webhelpers import post
from tests.webhelpers import text

APPLICANT = "county1_applicant"


def signed_in_cookie(app, username: str = APPLICANT):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client, client.get_cookie("session").value


def with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def test_a_cookie_copied_before_logout_is_refused_afterwards(app):
    client, copied = signed_in_cookie(app)
    assert with_cookie(app, copied).get("/").status_code == 200
    assert post(client, "/logout").status_code == 302
    response = with_cookie(app, copied).get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app):
    here, _ = signed_in_cookie(app)
    _elsewhere, elsewhere_cookie = signed_in_cookie(app)
    response = post(here, "/password", {"old": "demo-password", "new": "new-password-1", "confirm": "new-password-1"},
                    page="/password")
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert with_cookie(app, elsewhere_cookie).get("/").status_code == 302


def test_reset_and_deactivation_end_sessions_and_revoke_tokens(app, party_engine):
    for action in (lambda: party_engine.reset_password("admin", APPLICANT),
                   lambda: party_engine.set_active("admin", APPLICANT, False)):
        _client, cookie = signed_in_cookie(app)
        token = party_engine.issue_api_token(APPLICANT, "脚本")
        action()
        assert with_cookie(app, cookie).get("/").status_code == 302
        with pytest.raises(NotAllowed):
            party_engine.actor_by_token(token)
        party_engine.set_active("admin", APPLICANT, True)
        party_engine.reset_password("admin", APPLICANT, "demo-password")


def test_tokens_are_named_listed_revocable_and_expire(app, party_engine):
    client, _ = signed_in_cookie(app)
    page = post(client, "/tokens", {"name": "统计脚本", "days": "30"}, page="/tokens")
    assert page.status_code == 200 and "统计脚本" in text(page)
    token = text(page).split('<pre class="token">', 1)[1].split("</pre>", 1)[0]
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/tasks", headers=headers).status_code == 200
    [listed] = party_engine.api_tokens(APPLICANT)
    assert listed.name == "统计脚本" and listed.usable
    clock.advance(timedelta(days=31))
    assert api.get("/api/v1/tasks", headers=headers).status_code == 401  # expired
    other = party_engine.issue_api_token(APPLICANT, "另一个")
    newest = party_engine.api_tokens(APPLICANT)[0]
    assert post(client, f"/tokens/{newest.id}/revoke", page="/tokens").status_code in (302, 200)
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {other}"}).status_code == 401
    assert party_engine.api_tokens(APPLICANT)[0].revoked_at is not None
    assert post(client, "/tokens", {"name": "", "days": "30"}, page="/tokens").status_code == 422
    assert post(client, "/tokens", {"name": "太久", "days": "4000"}, page="/tokens").status_code == 422


def test_tokens_survive_a_plain_sign_out(app, party_engine):
    client, _ = signed_in_cookie(app)
    token = party_engine.issue_api_token(APPLICANT, "夜间同步")
    post(client, "/logout")
    assert party_engine.actor_by_token(token).username == APPLICANT


def test_a_wrong_name_and_a_wrong_password_cost_and_say_the_same(party_engine, monkeypatch):
    import engine.service.signin as signin

    checks = []
    real = signin.check_password
    monkeypatch.setattr(signin, "check_password",
                        lambda stored, password: checks.append(stored) or real(stored, password))
    with pytest.raises(LoginFailed) as unknown:
        party_engine.authenticate("nobody_here", "whatever", "10.0.0.9")
    with pytest.raises(LoginFailed) as wrong:
        party_engine.authenticate(APPLICANT, "whatever", "10.0.0.9")
    assert len(checks) == 2 and str(unknown.value) == str(wrong.value)


def test_failures_lock_only_that_name_from_that_address_with_growing_waits(party_engine):
    for _ in range(5):
        with pytest.raises(LoginFailed):
            party_engine.authenticate("admin", "guessing", "10.0.0.66")
    with pytest.raises(AccountLocked):
        party_engine.authenticate("admin", "demo-password", "10.0.0.66")  # even the right password waits
    assert party_engine.authenticate("admin", "demo-password", "10.0.0.1").actor.username == "admin"
    clock.advance(timedelta(minutes=1, seconds=1))
    with pytest.raises(LoginFailed):
        party_engine.authenticate("admin", "guessing", "10.0.0.66")  # the sixth failure: two minutes now
    clock.advance(timedelta(minutes=1, seconds=1))
    with pytest.raises(AccountLocked):
        party_engine.authenticate("admin", "demo-password", "10.0.0.66")
    clock.advance(timedelta(minutes=1))
    assert party_engine.authenticate("admin", "demo-password", "10.0.0.66").actor.username == "admin"
    # unknown names are throttled the same way: the answer does not reveal which names exist
    for _ in range(5):
        with pytest.raises(LoginFailed):
            party_engine.authenticate("nobody_here", "guessing", "10.0.0.66")
    with pytest.raises(AccountLocked):
        party_engine.authenticate("nobody_here", "guessing", "10.0.0.66")


def test_the_sign_in_page_says_the_same_for_unknown_and_wrong(client):
    token = csrf(client, "/login")
    unknown = client.post("/login", data={"username": "nobody_here", "password": "x", "csrf_token": token})
    wrong = client.post("/login", data={"username": APPLICANT, "password": "x", "csrf_token": token})
    assert unknown.status_code == wrong.status_code == 401
    assert "用户名或密码错误" in text(unknown) and "用户名或密码错误" in text(wrong)



def test_behind_the_proxy_the_client_address_is_the_forwarded_one(party_engine):
    from web import create_app

    proxied = create_app({"ENGINE": party_engine, "TESTING": True, "SECRET_KEY": "test", "PROXY_HOPS": 1})
    client = proxied.test_client()
    for _ in range(5):
        token = csrf(client, "/login")
        client.post("/login", data={"username": "admin", "password": "guess", "csrf_token": token},
                    headers={"X-Forwarded-For": "10.9.9.9"})
    token = csrf(client, "/login")
    elsewhere = client.post("/login", data={"username": "admin", "password": "demo-password", "csrf_token": token},
                            headers={"X-Forwarded-For": "10.1.1.1"})
    assert elsewhere.status_code == 302  # the guesses from 10.9.9.9 did not lock the admin out of 10.1.1.1


def test_a_remembered_token_stops_working_when_revoked_here_at_once_and_elsewhere_within_the_cache_time(
        party_engine, monkeypatch):
    token = party_engine.issue_api_token(APPLICANT, "缓存令牌")
    assert party_engine.actor_by_token(token).username == APPLICANT  # now remembered
    party_engine.revoke_api_token(APPLICANT, party_engine.api_tokens(APPLICANT)[0].id)
    with pytest.raises(NotAllowed):
        party_engine.actor_by_token(token)

    token = party_engine.issue_api_token(APPLICANT, "另一进程吊销")
    assert party_engine.actor_by_token(token).username == APPLICANT
    other_process = Engine(EngineSettings(database_url=party_engine.settings.database_url), domain=PARTY)
    other_process.revoke_api_token(APPLICANT, other_process.api_tokens(APPLICANT)[0].id)
    other_process.db.dispose()
    assert party_engine.actor_by_token(token).username == APPLICANT  # still remembered here
    later = time.monotonic() + party_engine.settings.actor_cache_seconds + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    with pytest.raises(NotAllowed):
        party_engine.actor_by_token(token)
