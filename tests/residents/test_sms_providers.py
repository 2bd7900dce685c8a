"""The Alibaba Cloud and Tencent Cloud adapters against a local server that plays each
provider: the request as the provider reads it (recomputing the signature), its success,
its throttling and its refusals; and the retries and masking around them."""

import json
import logging
import urllib.parse

import pytest

from alerts import sms
from residents.models import ResidentMessage
from residents.services import messages_send
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture
def aliyun(settings, fake_provider):
    provider = fake_provider((200, {"Code": "OK", "Message": "OK", "BizId": "9006197469364984400", "RequestId": "r1"}))
    settings.ZHITONG_SMS_BACKEND = "aliyun"
    settings.ZHITONG_SMS_ALIYUN_ENDPOINT = provider.url
    settings.ZHITONG_SMS_ALIYUN_ACCESS_KEY_ID = "testid"
    settings.ZHITONG_SMS_ALIYUN_ACCESS_KEY_SECRET = "testsecret"
    settings.ZHITONG_SMS_TEMPLATES = {"received": "SMS_100", "resolved": "SMS_101"}
    return provider


@pytest.fixture
def tencent(settings, fake_provider):
    ok = {
        "Response": {
            "SendStatusSet": [
                {"SerialNo": "5000:1", "PhoneNumber": "+8613812345678", "Code": "Ok", "Message": "send success"}
            ],
            "RequestId": "r2",
        }
    }
    provider = fake_provider((200, ok))
    settings.ZHITONG_SMS_BACKEND = "tencent"
    settings.ZHITONG_SMS_TENCENT_ENDPOINT = provider.url
    settings.ZHITONG_SMS_TENCENT_SECRET_ID = "AKIDtest"
    settings.ZHITONG_SMS_TENCENT_SECRET_KEY = "tencentsecret"
    settings.ZHITONG_SMS_TENCENT_SDK_APP_ID = "1400006666"
    settings.ZHITONG_SMS_TEMPLATES = {"received": "1110", "resolved": "1111"}
    return provider


MESSAGE = sms.Sms(
    to=PHONE, text="您的诉求已受理", kind="received", params={"ref": "WLQ-2026-000001", "link": "http://x/r/1/k/"}
)


def test_aliyun_request_is_signed_as_the_provider_checks_it(aliyun):
    sms.send(MESSAGE)
    [(headers, body)] = aliyun.requests
    params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    signature = params.pop("Signature")
    # the provider recomputes the signature from everything else, with the shared secret
    assert signature == sms.aliyun_signature(params, "testsecret")
    assert signature != sms.aliyun_signature(params, "another-secret")
    assert params["Action"] == "SendSms" and params["Version"] == "2017-05-25"
    assert params["SignatureMethod"] == "HMAC-SHA1" and params["SignatureVersion"] == "1.0"
    assert params["PhoneNumbers"] == PHONE and params["TemplateCode"] == "SMS_100"
    assert json.loads(params["TemplateParam"]) == {"ref": "WLQ-2026-000001", "link": "http://x/r/1/k/"}
    assert params["SignName"] == "直通" and params["AccessKeyId"] == "testid"


def test_aliyun_percent_encoding_follows_the_documented_rules():
    assert sms.percent_encode("a b*~") == "a%20b%2A~"
    assert sms.percent_encode("直") == "%E7%9B%B4"


def test_aliyun_flow_control_is_retried_and_a_bad_number_is_not(aliyun):
    aliyun.answers = [(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发天级流控Permits:10"})]
    with pytest.raises(sms.SmsThrottled):
        sms.send(MESSAGE)
    aliyun.answers = [(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})]
    with pytest.raises(sms.SmsRejected):
        sms.send(MESSAGE)
    aliyun.answers = [(503, {"Code": "ServiceUnavailable", "Message": "busy"})]
    with pytest.raises(sms.SmsThrottled):
        sms.send(MESSAGE)
    aliyun.answers = [(400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"})]
    with pytest.raises(sms.SmsRejected):
        sms.send(MESSAGE)


def test_tencent_request_is_signed_with_tc3(tencent):
    sms.send(MESSAGE)
    [(headers, body)] = tencent.requests
    host = urllib.parse.urlsplit(tencent.url).netloc
    timestamp = int(headers["X-TC-Timestamp"])
    expected = sms.tencent_authorization(
        secret_id="AKIDtest", secret_key="tencentsecret", host=host, body=body, timestamp=timestamp
    )
    assert headers["Authorization"] == expected
    assert headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    assert "/sms/tc3_request, SignedHeaders=content-type;host, Signature=" in headers["Authorization"]
    assert headers["X-TC-Action"] == "SendSms" and headers["X-TC-Version"] == "2021-01-11"
    payload = json.loads(body)
    assert payload["PhoneNumberSet"] == ["+8613812345678"] and payload["TemplateId"] == "1110"
    assert payload["SmsSdkAppId"] == "1400006666" and payload["TemplateParamSet"] == [
        "WLQ-2026-000001",
        "http://x/r/1/k/",
    ]


def test_tencent_signature_matches_the_documented_derivation():
    # The signing key is HMAC chained over date, service and "tc3_request" from "TC3" + key:
    # a change of any of them changes the signature.
    one = sms.tencent_authorization(secret_id="id", secret_key="k", host="h", body=b"{}", timestamp=1551113065)
    assert "Credential=id/2019-02-25/sms/tc3_request" in one
    assert one != sms.tencent_authorization(secret_id="id", secret_key="k2", host="h", body=b"{}", timestamp=1551113065)
    assert one != sms.tencent_authorization(secret_id="id", secret_key="k", host="h", body=b"{ }", timestamp=1551113065)


def test_tencent_throttling_and_refusals(tencent):
    limited = {
        "Response": {
            "SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberThirtySecondLimit", "Message": "30秒内超限"}],
            "RequestId": "r",
        }
    }
    tencent.answers = [(200, limited)]
    with pytest.raises(sms.SmsThrottled):
        sms.send(MESSAGE)
    tencent.answers = [(200, {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "rate"}}})]
    with pytest.raises(sms.SmsThrottled):
        sms.send(MESSAGE)
    bad = {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "signature"}, "RequestId": "r"}}
    tencent.answers = [(200, bad)]
    with pytest.raises(sms.SmsRejected):
        sms.send(MESSAGE)
    wrong_number = {
        "Response": {"SendStatusSet": [{"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "bad"}]}
    }
    tencent.answers = [(200, wrong_number)]
    with pytest.raises(sms.SmsRejected):
        sms.send(MESSAGE)


def test_an_unreachable_provider_is_a_retry(settings):
    settings.ZHITONG_SMS_BACKEND = "aliyun"
    settings.ZHITONG_SMS_ALIYUN_ENDPOINT = "http://127.0.0.1:9/"  # discard port: nothing listens
    settings.ZHITONG_SMS_TEMPLATES = {"received": "SMS_100"}
    with pytest.raises(sms.SmsThrottled):
        sms.send(MESSAGE)


def test_a_throttled_message_waits_and_goes_later_a_refused_one_is_given_up(aliyun, caplog):
    # given: a message for a resident, written when the ticket opened (nothing sent yet)
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    message = ResidentMessage.objects.get(ticket=ticket)
    aliyun.answers = [(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "flow control"})]
    caplog.set_level(logging.INFO)

    # when: the provider throttles it
    assert messages_send([message.pk], now=message.created_at) == 0
    message.refresh_from_db()
    # then: it waits (2 minutes after the first try) and is not given up
    assert message.sent_at is None and message.failed_at is None and message.attempts == 1
    assert (message.send_after - message.created_at).total_seconds() == 120
    assert messages_send([message.pk], now=message.created_at) == 0  # not before its time
    assert len(aliyun.requests) == 1

    # when: its time comes, it goes
    assert messages_send([message.pk], now=message.send_after) == 1
    message.refresh_from_db()
    assert message.sent_at is not None and len(aliyun.requests) == 2
    assert messages_send([message.pk], now=message.send_after) == 0  # never twice

    # and a refused one is given up at once
    other = ResidentMessage.objects.get(ticket=make_ticket(reporter_phone="13900001111", reporter_name="李"))
    aliyun.answers = [(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad"})]
    messages_send([other.pk], now=other.created_at)
    other.refresh_from_db()
    assert other.failed_at is not None and "MOBILE_NUMBER_ILLEGAL" in other.error

    # and no log line carries a whole number
    assert PHONE not in caplog.text and "13900001111" not in caplog.text
    assert "138****5678" in caplog.text
