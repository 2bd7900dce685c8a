import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_page_speaks_chinese_by_default_and_english_on_request(client):
    chinese = client.get("/accounts/login/")
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    english = client.get("/accounts/login/")

    assert "登录" in chinese.content.decode()
    assert "Sign in" in english.content.decode()
    assert "登录" not in english.content.decode()


def test_a_wrong_password_says_so(client, demo):
    response = client.post("/accounts/login/", {"username": "street_staff", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名和密码不匹配" in response.content.decode()


@pytest.mark.parametrize(
    ("username", "role", "unit", "zones"),
    [
        ("admin", "管理员", "—", "14"),
        ("street_staff", "街道工作人员", "五里桥街道", "14"),
        ("leader_wang", "街道领导", "五里桥街道", "14"),
        ("committee_staff", "居委会工作人员", "桑城居民区", "4"),
        ("zone_member", "责任区团队成员", "桑城居民区", "2"),
        # A liaison serves on no zone's team: the page does not speak of zones at all.
        ("dept_liaison", "职能部门联络员", "五里桥派出所", None),
    ],
)
def test_home_tells_each_demo_role_where_they_stand(client, log_in, username, role, unit, zones):
    log_in(username)

    page = client.get("/").content.decode()

    assert f'data-testid="role">{role}<' in page
    assert f'data-testid="org-unit">{unit}<' in page
    if zones is None:
        assert "zone-count" not in page and "household-count" not in page
        assert 'data-testid="department-referrals"' in page
    else:
        assert f'data-testid="zone-count">{zones}<' in page


def test_leader_home_names_their_committees(client, log_in):
    log_in("leader_wang")
    page = client.get("/").content.decode()
    assert "桑城居民区" in page and "瞿溪居民区" in page


def test_only_staff_accounts_get_the_admin_link(client, log_in):
    log_in("admin")
    assert "/admin/" in client.get("/").content.decode()
    log_in("street_staff")
    assert "/admin/" not in client.get("/").content.decode()


def test_admin_lists_households_in_chinese_with_masked_phones(client, log_in):
    log_in("admin")

    page = client.get("/admin/grievances/household/", {"q": "瞿溪路"}).content.decode()

    assert "户" in page
    assert "****" in page


def test_home_lists_the_persons_alerts(client, log_in):
    from alerts.models import Notification
    from responders.models import User

    leader = User.objects.get(username="leader_wang")
    Notification.objects.create(recipient=leader, kind="overdue")
    log_in("leader_wang")

    page = client.get("/").content.decode()

    assert "街道层级工单已超过办结时限" in page
    assert '<span class="badge">1</span>' in page


def test_home_without_alerts_says_what_will_appear(client, log_in):
    log_in("street_staff")
    assert "暂无提醒" in client.get("/").content.decode()
