"""SMS: one backend for the whole service, chosen by `ZHITONG_SMS_BACKEND`.

- `console`: the message, its number masked, in the log (the `make run` default);
- `file`: one JSON line `{"to", "text", "at"}` per message appended to `ZHITONG_SMS_FILE`
  (tests and demos read it back);
- `aliyun`: Alibaba Cloud SMS `SendSms` (RPC style, signature version 1.0: HMAC-SHA1 over
  the sorted, percent-encoded query, keyed by the AccessKey secret and "&");
- `tencent`: Tencent Cloud SMS `SendSms` (API 3.0, version 2021-01-11, TC3-HMAC-SHA256).

The providers send only approved templates: a message carries its template's name (`kind`)
and parameters; `ZHITONG_SMS_TEMPLATES` maps each kind to the provider's template code,
and the provider adds the signature (`ZHITONG_SMS_SIGN_NAME`). The console and file
backends print the text we compose, with the signature in front, as the phone would show it.

A provider's answer is sorted into three: sent; `SmsThrottled` (flow control, a busy or
failing provider: the caller tries again later); `SmsRejected` (a bad number, a template or
signature the provider refuses, an account problem: trying again cannot help). Every log
line shows the number masked (138****5678). The endpoints are settings: the tests point
them at a local server that plays the provider, and nothing leaves the machine unless a
provider backend is configured.
"""

import base64
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation

from grievances.models import mask_phone

from .models import Notification

logger = logging.getLogger("zhitong.sms")


class SmsError(Exception):
    """The message was not sent."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class SmsThrottled(SmsError):
    """Not now: the provider's flow control, or the provider is failing. Try again later."""


class SmsRejected(SmsError):
    """Never: the provider refuses this message or this account. Trying again cannot help."""


@dataclass(frozen=True)
class Sms:
    to: str
    text: str  # what the phone shows after the signature, composed in Chinese
    kind: str  # the template's name: received, moved, resolved, reminder, alert
    params: dict[str, str] = field(default_factory=dict)  # the template's variables, in order


def send(sms: Sms) -> None:
    """Hand the message to the configured backend; raises SmsThrottled or SmsRejected."""
    backend().send(sms)


def backend():
    return _backend(settings.ZHITONG_SMS_BACKEND)


@cache
def _backend(name: str):
    backends = {"console": ConsoleBackend, "file": FileBackend, "aliyun": AliyunBackend, "tencent": TencentBackend}
    return backends[name]()


def signed(text: str) -> str:
    return f"【{settings.ZHITONG_SMS_SIGN_NAME}】{text}"


class ConsoleBackend:
    def send(self, sms: Sms) -> None:
        logger.info("SMS to %s: %s", mask_phone(sms.to), signed(sms.text))


class FileBackend:
    def send(self, sms: Sms) -> None:
        path = Path(settings.ZHITONG_SMS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"to": sms.to, "text": signed(sms.text), "at": timezone.now().isoformat()}
        line = json.dumps(record, ensure_ascii=False)
        with path.open("a", encoding="utf-8") as out:
            # Two workers append whole lines, never interleaved.
            fcntl.flock(out, fcntl.LOCK_EX)
            out.write(line + "\n")


def _template(kind: str) -> str:
    code = settings.ZHITONG_SMS_TEMPLATES.get(kind)
    if not code:
        raise SmsRejected("template_not_configured", f"ZHITONG_SMS_TEMPLATES has no template for {kind!r}")
    return code


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """POST to a provider; (status, decoded JSON). A network failure or an answer that is not
    JSON is the provider failing: try again later."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.ZHITONG_SMS_TIMEOUT_SECONDS) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise SmsThrottled("unreachable", str(error)) from error
    try:
        return status, json.loads(raw or b"{}")
    except ValueError as error:
        raise SmsThrottled(f"http_{status}", "the answer is not JSON") from error


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud's signature wants it: space as %20, `~` kept."""
    return urllib.parse.quote(value, safe="-_.~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Signature version 1.0 of Alibaba Cloud's RPC APIs: HMAC-SHA1, keyed by the secret
    and "&", over METHOD & encode("/") & encode(sorted, encoded query), in base64."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Alibaba Cloud's answers that mean "not now" (flow control, a failing provider); every
# other code but OK means the message is refused.
ALIYUN_RETRY_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",  # flow control per number (触发业务流控)
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
    "isp.SYSTEM_ERROR",
    "ServiceUnavailable",
    "InternalError",
}


class AliyunBackend:
    """Alibaba Cloud SMS, `SendSms` (dysmsapi, version 2017-05-25)."""

    def send(self, sms: Sms) -> None:
        params = {
            "AccessKeyId": settings.ZHITONG_SMS_ALIYUN_ACCESS_KEY_ID,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": sms.to,
            "RegionId": settings.ZHITONG_SMS_ALIYUN_REGION,
            "SignName": settings.ZHITONG_SMS_SIGN_NAME,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": _template(sms.kind),
            "TemplateParam": json.dumps(sms.params, ensure_ascii=False),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, settings.ZHITONG_SMS_ALIYUN_ACCESS_KEY_SECRET)
        body = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()
        status, answer = _post(
            settings.ZHITONG_SMS_ALIYUN_ENDPOINT, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        code = str(answer.get("Code", f"http_{status}"))
        if code == "OK":
            logger.info("SMS to %s sent by Alibaba Cloud (%s)", mask_phone(sms.to), answer.get("BizId", ""))
            return
        retry = code in ALIYUN_RETRY_CODES or code.startswith("Throttling") or status >= 500
        error = SmsThrottled if retry else SmsRejected
        logger.warning("SMS to %s refused by Alibaba Cloud: %s %s", mask_phone(sms.to), code, answer.get("Message", ""))
        raise error(code, str(answer.get("Message", "")))


def tencent_authorization(
    *, secret_id: str, secret_key: str, host: str, body: bytes, timestamp: int, service: str = "sms"
) -> str:
    """TC3-HMAC-SHA256 of Tencent Cloud API 3.0, for a POST of JSON to "/" signing the
    content-type and host headers."""
    content_type = "application/json; charset=utf-8"
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )

    def sign(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    signing_key = sign(sign(sign(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


def _tencent_retry(code: str) -> bool:
    """Tencent Cloud's codes that mean "not now": the request rate (RequestLimitExceeded),
    the per-number limits (LimitExceeded.PhoneNumberThirtySecondLimit, ...OneHourLimit,
    ...DailyLimit), an internal error."""
    return code.startswith(("RequestLimitExceeded", "LimitExceeded.PhoneNumber", "InternalError"))


class TencentBackend:
    """Tencent Cloud SMS, `SendSms` (sms.tencentcloudapi.com, version 2021-01-11)."""

    def send(self, sms: Sms) -> None:
        endpoint = settings.ZHITONG_SMS_TENCENT_ENDPOINT
        host = urllib.parse.urlsplit(endpoint).netloc
        body = json.dumps(
            {
                "PhoneNumberSet": [sms.to if sms.to.startswith("+") else f"+86{sms.to}"],
                "SmsSdkAppId": settings.ZHITONG_SMS_TENCENT_SDK_APP_ID,
                "SignName": settings.ZHITONG_SMS_SIGN_NAME,
                "TemplateId": _template(sms.kind),
                "TemplateParamSet": list(sms.params.values()),
            },
            ensure_ascii=False,
        ).encode()
        timestamp = int(timezone.now().timestamp())
        headers = {
            "Authorization": tencent_authorization(
                secret_id=settings.ZHITONG_SMS_TENCENT_SECRET_ID,
                secret_key=settings.ZHITONG_SMS_TENCENT_SECRET_KEY,
                host=host,
                body=body,
                timestamp=timestamp,
            ),
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": settings.ZHITONG_SMS_TENCENT_REGION,
        }
        status, answer = _post(endpoint, body, headers)
        response = answer.get("Response", {})
        error = response.get("Error")
        if error is None:
            statuses = response.get("SendStatusSet") or [{"Code": f"http_{status}", "Message": "no status"}]
            error = statuses[0]
            if str(error.get("Code")) == "Ok":
                logger.info("SMS to %s sent by Tencent Cloud (%s)", mask_phone(sms.to), error.get("SerialNo", ""))
                return
        code = str(error.get("Code", f"http_{status}"))
        logger.warning("SMS to %s refused by Tencent Cloud: %s %s", mask_phone(sms.to), code, error.get("Message", ""))
        kind = SmsThrottled if _tencent_retry(code) or status >= 500 else SmsRejected
        raise kind(code, str(error.get("Message", "")))


class SmsChannel:
    """The SMS channel of staff alerts (`alerts.channels.Channel`): name it in
    `ZHITONG_ALERT_CHANNELS` as `alerts.sms.SmsChannel`. Each alert goes to its recipient's
    own phone (none: nothing to send) as the ticket's reference and what happened; a refused
    message is logged and dropped, a throttled one raised so the task retries."""

    def send(self, notifications: list[Notification]) -> None:
        for notification in notifications:
            phone = notification.recipient.phone
            if not phone:
                continue
            reference = notification.ticket.reference if notification.ticket_id else ""
            with translation.override(settings.LANGUAGE_CODE):
                what = str(notification.get_kind_display())
            try:
                send(Sms(to=phone, text=f"{reference} {what}".strip(), kind="alert", params={"ref": reference}))
            except SmsRejected:
                continue
