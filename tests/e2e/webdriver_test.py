#!/usr/bin/env python3
"""End-to-end test of the real Keygate window through tauri-driver (W3C WebDriver over HTTP,
standard library only). Run by scripts/e2e.sh, which provides Xvfb, a real Secret Service, the
app and the CLI.

Environment: KEYGATE_E2E_DRIVER (http://127.0.0.1:PORT), KEYGATE_E2E_APP (app binary),
KEYGATE_E2E_CLI (keygate binary), KEYGATE_E2E_SHOTS (screenshot directory).
"""
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

DRIVER = os.environ["KEYGATE_E2E_DRIVER"]
APP = os.environ["KEYGATE_E2E_APP"]
CLI = os.environ["KEYGATE_E2E_CLI"]
SHOTS = os.environ["KEYGATE_E2E_SHOTS"]
SECRET = "JBSWY3DPEHPK3PXP"
LINK = f"otpauth://totp/Example%20Corp:alice%40example.com?secret={SECRET}&issuer=Example%20Corp"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class StaleElement(Exception):
    """The list re-renders every second; an element found just before may be replaced."""


def fresh(action):
    """Runs a find-then-act `action` again when the element went stale in between."""
    for attempt in range(10):
        try:
            return action()
        except StaleElement:
            if attempt == 9:
                raise
            time.sleep(0.1)


DRIVER_URL = urllib.parse.urlsplit(DRIVER)
# One line per WebDriver exchange (start, duration, command, outcome): when a command fails,
# this and tauri-driver.log show what the driver saw and when.
WIRE_LOG = open(os.path.join(os.environ.get("KEYGATE_E2E_LOG", "."), "webdriver.log"), "a",
                buffering=1)


def call(method, path, body=None):
    """Sends one WebDriver command and returns its `value`.

    No `Connection: close` (urllib sends it on every request): tauri-driver 2.1.0 forwards it to
    WebKitWebDriver, which then closes the connection after its answer without saying so, and
    hyper 1.8.1 (locked by tauri-driver) judges reuse by the answer alone, so the closing
    connection went back into tauri-driver's pool. A command sent before that close was seen
    took it, and tauri-driver (`retry_canceled_requests(false)`) dropped ours unanswered. Kept
    alive, its pooled connections stay usable. A fresh connection per command here means ours is
    never one the driver has closed.
    """
    data = None if body is None else json.dumps(body).encode()
    headers = {} if data is None else {"Content-Type": "application/json"}
    conn = http.client.HTTPConnection(DRIVER_URL.hostname, DRIVER_URL.port, timeout=120)
    start = time.time()
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
    except (OSError, http.client.HTTPException) as err:
        WIRE_LOG.write(f"{start:.3f} +{time.time() - start:.3f}s {method} {path} -> {err!r}\n")
        raise AssertionError(f"{method} {path}: no answer from tauri-driver: {err!r}") from err
    finally:
        conn.close()
    WIRE_LOG.write(f"{start:.3f} +{time.time() - start:.3f}s {method} {path} -> {resp.status}\n")
    if resp.status == 200:
        return json.loads(raw or b"{}").get("value")
    text = raw.decode(errors="replace")
    if "stale element reference" in text:
        raise StaleElement(text)
    raise AssertionError(f"{method} {path}: {resp.status} {text}")


class Session:
    def __init__(self):
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "wry", "tauri:options": {"application": APP}}}}
        self.id = call("POST", "/session", caps)["sessionId"]

    def path(self, rest):
        return f"/session/{self.id}{rest}"

    def find(self, css, timeout=20):
        deadline = time.time() + timeout
        while True:
            found = fresh(lambda: call("POST", self.path("/elements"),
                                       {"using": "css selector", "value": css}))
            if found:
                return found[0][ELEMENT]
            if time.time() > deadline:
                raise AssertionError(f"no element matches {css!r}")
            time.sleep(0.25)

    def text(self, css):
        return fresh(lambda: call("GET", self.path(f"/element/{self.find(css)}/text")))

    def settle(self):
        """Returns after the page's next two rendering updates.

        WebKitWebDriver computes a click's point from the layout it sees, then sends the mouse
        events; work the page left for its next rendering update lands in between. Opening the
        Add dialog is one: it reopens scrolled where it was left, and `focus()` on its first
        field scrolls it only at that update, so a click on "Scan the screen" measured before it
        landed on the link field after it (the scan then never started). Two frames: the scroll
        comes after the first frame's callbacks, in the same update.
        """
        call("POST", self.path("/execute/async"), {"script": (
            "const done = arguments[arguments.length - 1];"
            "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"), "args": []})

    def click(self, css):
        self.settle()
        fresh(lambda: call("POST", self.path(f"/element/{self.find(css)}/click"), {}))

    def type(self, css, text):
        fresh(lambda: call("POST", self.path(f"/element/{self.find(css)}/value"), {"text": text}))

    def script(self, js, *args):
        return call("POST", self.path("/execute/sync"), {"script": js, "args": list(args)})

    def visible(self, css):
        return self.script(
            "const e = document.querySelector(arguments[0]);"
            "return !!e && !e.hidden && !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);",
            css)

    def wait(self, what, predicate, timeout=20):
        deadline = time.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.25)

    def screenshot(self, name):
        """Captures the app's X window as the X server shows it (WebKit's own WebDriver
        screenshot leaves out <dialog>s in the top layer and can lag behind the page)."""
        time.sleep(0.6)  # let WebKit paint the last change
        tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True,
                              check=True).stdout
        ids = [line.split()[0] for line in tree.splitlines() if '"Keygate"' in line]
        assert ids, "no X window named Keygate"
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, name)
        subprocess.run(["import", "-window", ids[0], path], check=True)
        with open(path, "rb") as f:
            png = f.read()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000, f"{path} is not a real screenshot"
        print(f"  screenshot: {path} ({len(png)} bytes)")

    def close(self):
        call("DELETE", self.path(""))


def cli_code(at, secret=SECRET):
    """`keygate code` for a base32 secret at Unix time `at`."""
    out = subprocess.run([CLI, "code", "--secret", "-", "--time", str(at)], input=secret,
                         capture_output=True, text=True, check=True)
    return out.stdout.split()[0] if out.stdout.split() else ""


def window_qr_uri(s, image_id=None):
    """Screenshots the window and decodes the one QR code on it with `keygate scan`: the test
    reads the code the way a phone would, independently of the app."""
    path = os.path.join(os.environ["KEYGATE_E2E_SCRATCH"], "window.png")
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True,
                          check=True).stdout
    wid = [line.split()[0] for line in tree.splitlines() if '"Keygate"' in line][0]
    if image_id:
        s.script("document.getElementById(arguments[0]).scrollIntoView({block: 'center'});",
                 image_id)
    # Like a phone camera, take another frame when one is caught mid-repaint.
    for attempt in range(5):
        time.sleep(0.6)
        subprocess.run(["import", "-window", wid, path], check=True)
        out = subprocess.run([CLI, "scan", path], capture_output=True, text=True)
        uris = [line for line in out.stdout.split() if line.startswith("otpauth://")]
        if len(uris) == 1:
            return uris[0]
        print(f"  (frame {attempt + 1}: {len(uris)} otpauth QR codes; {out.stderr.strip()})",
              flush=True)
    raise AssertionError(f"expected one otpauth QR on the window, scan said {out.stdout!r} "
                         f"{out.stderr!r}")


def uri_code(uri, at):
    out = subprocess.run([CLI, "code", "--uri", "-", "--time", str(at)], input=uri,
                         capture_output=True, text=True, check=True)
    return out.stdout.split()[0]


def row_css(s, issuer):
    """A CSS selector for the row of `issuer` (rows carry their account id)."""
    row_id = s.wait(f"the {issuer} row", lambda: s.script(
        "const r = [...document.querySelectorAll('li.account')]"
        ".find(li => li.querySelector('.issuer').textContent === arguments[0]);"
        "return r ? r.dataset.id : null;", issuer))
    return f'li.account[data-id="{row_id}"]'


def first_issuer(s):
    return s.script("return document.querySelector('li.account .issuer').textContent;")


def more_authenticator_steps(s):
    step("a favourite goes first, and back when unstarred")
    before = first_issuer(s)
    assert before != "Scanned", before
    s.click(row_css(s, "Scanned") + " .star")
    s.wait("Scanned first", lambda: first_issuer(s) == "Scanned")
    s.click(row_css(s, "Scanned") + " .star")
    s.wait("the old order", lambda: first_issuer(s) == before)

    step("edit: issuer, name and a note")
    s.click(row_css(s, "AWS") + " .edit")
    s.wait("the edit dialog", lambda: s.visible("#edit-dialog"))
    s.type("#edit-note", "root account, break-glass only")
    s.click("#edit-save")
    s.wait("the note on the row", lambda: "break-glass" in s.text(row_css(s, "AWS") + " .note"))

    step("an account's QR code, behind a warning, decodes to the same account")
    s.click(row_css(s, "GitHub") + " .qr")
    s.wait("the warning", lambda: s.visible("#qr-confirm-dialog"))
    assert not s.visible("#qr-dialog"), "the QR code showed before the warning was accepted"
    s.click("#qr-confirm")
    s.wait("the QR code", lambda: s.visible("#qr-dialog") and s.script(
        "return document.getElementById('qr-image').naturalWidth > 0"))
    s.screenshot("account-qr.png")
    shown = window_qr_uri(s, "qr-image")
    assert shown.startswith("otpauth://totp/GitHub:alice?"), shown.split("?")[0]
    now = int(time.time())
    github = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert uri_code(shown, now) == cli_code(now, github), "the QR code holds another secret"
    s.click("#qr-close")
    s.wait("the QR dialog to close", lambda: not s.visible("#qr-dialog"))

    step("manual entry: a bad key is named as you type; a good one is added")
    s.click("#add-button")
    s.wait("the add dialog", lambda: s.visible("#add-dialog"))
    s.type("#manual-issuer", "Manual")
    s.type("#manual-name", "carol")
    s.type("#manual-secret", "JBSW*Y3DP")
    error = s.wait("the secret error", lambda: s.visible("#manual-secret-error")
                   and s.text("#manual-secret-error"))
    assert "JBSW" not in error, "the typed key leaked into the error"
    s.script("document.getElementById('manual-secret').value = '';")
    s.type("#manual-secret", "KRUGS4ZANFZSAYJAORSXG5A")
    s.wait("no secret error", lambda: not s.visible("#manual-secret-error"))
    s.click("#manual-add-button")
    result = s.wait("the manual result", lambda: s.text("#add-result"))
    assert "added: Manual (carol)" in result, result
    s.click("#add-close")
    now = int(time.time())
    manual = "KRUGS4ZANFZSAYJAORSXG5A"
    shown = s.text(row_css(s, "Manual") + " .code").replace(" ", "")
    assert shown in {cli_code(now, manual), cli_code(now - 1, manual)}, shown

    step("add from an image file")
    scratch = os.environ["KEYGATE_E2E_SCRATCH"]
    source = os.path.join(scratch, "file-source")
    png = os.path.join(scratch, "from-file.png")
    subprocess.run([CLI, "--data-dir", source, "add",
                    f"otpauth://totp/Filed:dave?secret={SECRET}&issuer=Filed"],
                   check=True, capture_output=True)
    subprocess.run([CLI, "--data-dir", source, "qr", "Filed", "--out", png], check=True,
                   capture_output=True)
    s.click("#add-button")
    s.wait("the add dialog", lambda: s.visible("#add-dialog"))
    s.script("document.getElementById('add-path').value = '';")
    s.type("#add-path", os.path.join(scratch, "missing.png"))
    s.click("#add-image-button")
    missing = s.wait("the missing-file error", lambda: s.visible("#add-error") and s.text("#add-error"))
    assert "missing.png" in missing, missing
    s.script("document.getElementById('add-path').value = '';")
    s.type("#add-path", png)
    s.click("#add-image-button")
    result = s.wait("the image result", lambda: s.text("#add-result"))
    assert result == "added: Filed (dave)", result
    s.click("#add-close")
    s.wait("the Filed row", lambda: "Filed" in s.text("#accounts"))


def console_steps(s):
    step("console: start the embedded server and create the first admin")
    s.click("#tab-console")
    s.wait("the connect panel", lambda: s.visible("#console-connect"))
    s.click("#console-start-embedded")
    s.wait("the first-admin form", lambda: s.visible("#console-first-admin"), timeout=60)
    where = s.text("#console-where")
    assert "Embedded server https://127.0.0.1:" in where, where
    s.type("#first-admin-username", "admin")
    s.type("#first-admin-email", "admin@example.com")
    s.type("#first-admin-password", "correct horse battery staple")
    s.click("#first-admin-create")
    s.wait("the sign-in form", lambda: s.visible("#console-login"), timeout=60)

    step("console: a wrong password is refused with the server's generic message")
    s.script("document.getElementById('console-message').hidden = true;")
    s.type("#console-password", "not the password")
    s.click("#console-login-button")
    message = s.wait("the refusal", lambda: s.visible("#console-message") and s.text("#console-message"),
                     timeout=60)
    assert message == "Invalid username or password.", message
    assert s.visible("#console-login")
    time.sleep(1.2)  # the server's back-off after one failure is 1 s

    step("console: password, then enrolment of a TOTP device shown as a QR code")
    s.type("#console-password", "correct horse battery staple")
    s.click("#console-login-button")
    s.wait("the setup QR", lambda: s.visible("#console-setup") and s.script(
        "return document.getElementById('console-setup-qr').naturalWidth > 0"), timeout=60)
    s.screenshot("console-setup.png")
    uri = window_qr_uri(s, "console-setup-qr")
    assert uri.startswith("otpauth://totp/") and "admin" in uri, "unexpected enrolment link"

    step("console: one click adds it to the authenticator and fills the same code keygate computes")
    s.click("#console-setup-add")
    filled = s.wait("the filled code", lambda: s.script(
        "return document.getElementById('console-token').value"))
    now = int(time.time())
    assert filled in {uri_code(uri, now), uri_code(uri, now - 1), uri_code(uri, now - 2)}, filled
    s.script("document.getElementById('console-token').value = '';")
    s.type("#console-token", uri_code(uri, int(time.time())))
    s.click("#console-verify")
    s.wait("the users view", lambda: s.visible("#console-admin"), timeout=60)
    assert "signed in as admin" in s.text("#console-where")

    step("console: create a user")
    s.click("#console-new-user summary")
    s.type("#new-user-username", "bob")
    s.type("#new-user-email", "bob@example.com")
    s.type("#new-user-password", "another long password")
    s.click("#new-user-create")
    s.wait("bob's page", lambda: s.visible("#console-user") and s.text("#console-user-title") == "bob",
           timeout=60)
    assert "bob" in s.text("#console-user-table")

    step("console: add a TOTP device for bob and confirm it with a code from its QR")
    s.type("#new-device-name", "bob's phone")
    s.click("#new-device-add")
    s.wait("the device QR", lambda: s.visible("#console-enrol") and s.script(
        "return document.getElementById('console-enrol-qr').naturalWidth > 0"), timeout=60)
    s.screenshot("console-device.png")
    device_uri = window_qr_uri(s, "console-enrol-qr")
    assert device_uri != uri, "the device QR is the admin's own"
    s.type("#console-enrol-token", uri_code(device_uri, int(time.time())))
    s.click("#console-enrol-confirm")
    s.wait("the confirmed device", lambda: not s.visible("#console-enrol")
           and "bob's phone — totp" in s.text("#console-devices")
           and "not confirmed" not in s.text("#console-devices"), timeout=60)
    s.screenshot("console-users.png")

    step("console: the audit log shows what happened")
    s.click("#console-show-audit")
    audit = s.wait("audit rows", lambda: "user.created" in s.text("#console-audit-table")
                   and s.text("#console-audit-table"), timeout=60)
    assert "device" in audit, audit
    s.screenshot("console-audit.png")

    step("the admin's own account is in the authenticator")
    s.click("#tab-authenticator")
    s.wait("the Keygate account", lambda: "admin" in s.text("#accounts"))


STEPS = {"started": 0}


def step(name):
    STEPS["started"] += 1
    print(f"- {name}", flush=True)


def main():
    s = Session()
    try:
        step("the window is titled Keygate and starts unlocked and empty")
        assert call("GET", s.path("/title")) == "Keygate"
        s.wait("the empty-vault message", lambda: s.visible("#empty"))

        step("the webview may call only the app's own commands")
        denied = s.script("return window.__TAURI_INTERNALS__.invoke('plugin:window|close', {label: 'main'})"
                          ".then(() => 'allowed', e => 'denied: ' + String(e));")
        assert denied.startswith("denied:") and "not allowed" in denied, denied
        print(f"  plugin:window|close -> {denied}")

        step("a second launch exits and leaves one Keygate window")
        second = subprocess.run([APP], capture_output=True, timeout=30)
        assert second.returncode == 0, second
        windows = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True,
                                 text=True).stdout.count('"Keygate"')
        assert windows == 1, f"{windows} Keygate windows"

        step("a bad link gives a specific error and adds nothing")
        s.click("#add-button")
        s.type("#add-link", "otpauth://totp/Bad:x?secret=not*base32")
        s.click("#add-link-button")
        error = s.wait("the add error", lambda: s.visible("#add-error") and s.text("#add-error"))
        assert "link 1" in error and "base32" in error, error
        assert "not*base32" not in error, "the secret leaked into the error"

        step("adding from an otpauth link lists the account")
        s.script("document.getElementById('add-link').value = '';")
        s.type("#add-link", LINK)
        s.click("#add-link-button")
        result = s.wait("the add result", lambda: s.text("#add-result"))
        assert "added: Example Corp (alice@example.com)" in result, result
        s.click("#add-close")
        s.wait("the account row", lambda: s.visible("li.account"))
        assert s.text("li.account .issuer") == "Example Corp"

        step("its code equals `keygate code --secret ...` for the same secret")
        for _ in range(3):
            before = int(time.time())
            shown = s.text("li.account .code")
            after = int(time.time())
            digits = shown.replace(" ", "")
            assert len(shown) == 7 and shown[3] == " ", f"code not grouped as 123 456: {shown!r}"
            expected = {cli_code(before), cli_code(after)}
            # The UI refreshes once a second: allow the code of the previous second's window.
            expected.add(cli_code(before - 1))
            assert digits in expected, f"window shows {digits}, keygate code says {expected}"
            time.sleep(1)
        print(f"  window code {shown} == keygate code")

        step("clicking the code copies it to the clipboard")
        s.click("li.account .code")
        copied = s.wait("the clipboard", lambda: subprocess.run(
            ["xclip", "-selection", "clipboard", "-o"], capture_output=True, text=True).stdout)
        now = int(time.time())
        assert copied in {cli_code(now), cli_code(now - 1), cli_code(now - 2)}, copied

        step("search filters as you type")
        s.type("#search", "nomatch")
        s.wait("the row to be filtered out", lambda: not s.visible("li.account"))
        s.script("const e = document.getElementById('search'); e.value = 'exam';"
                 "e.dispatchEvent(new Event('input'));")
        s.wait("the row to come back", lambda: s.visible("li.account"))
        s.screenshot("search.png")

        step("more accounts (TOTP SHA256, HOTP) for the list screenshot")
        s.script("const e = document.getElementById('search'); e.value = '';"
                 "e.dispatchEvent(new Event('input'));")
        s.click("#add-button")
        s.script("document.getElementById('add-link').value = arguments[0];",
                 "otpauth://totp/GitHub:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=GitHub "
                 "otpauth://totp/AWS:admin%40example.com?secret=KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ"
                 "&issuer=AWS&algorithm=SHA256 "
                 "otpauth://hotp/VPN:alice?secret=MFRGGZDFMZTWQ2LK&issuer=VPN&counter=0")
        s.screenshot("add-dialog.png")
        s.click("#add-link-button")
        result = s.wait("three added", lambda: s.text("#add-result").count("added:") == 3
                        and s.text("#add-result"))
        s.click("#add-close")
        s.wait("four rows", lambda: s.script("return document.querySelectorAll('li.account').length") == 4)
        s.click("li.account .hotp-next")
        s.wait("the HOTP code", lambda: s.script(
            "return [...document.querySelectorAll('li.account .code')].some(e => /^\\d{3} \\d{3}$/.test(e.textContent) && e.closest('li').querySelector('.hotp-next'))"))
        hotp = s.script("const b = document.querySelector('li.account .hotp-next');"
                        "return b.closest('li').querySelector('.code').textContent;").replace(" ", "")
        expected = subprocess.run([CLI, "code", "--secret", "-", "--counter", "0"],
                                  input="MFRGGZDFMZTWQ2LK", capture_output=True, text=True,
                                  check=True).stdout.split()[0]
        assert hotp == expected, f"HOTP: window shows {hotp}, keygate code says {expected}"
        print(f"  HOTP counter 0: window {hotp} == keygate code")
        s.screenshot("main-list.png")

        step("keyboard: Enter on a focused row copies its code")
        subprocess.run(["xclip", "-selection", "clipboard", "-i"], input="something else",
                       text=True, check=True)

        def enter_on_first_row():
            # One row throughout: the list re-renders every second, and a row replaced between
            # the find and the focus (or the key) is found again, with nothing sent to it.
            row = s.find("li.account")
            s.script("arguments[0].focus();", {ELEMENT: row})
            call("POST", s.path(f"/element/{row}/value"), {"text": "\ue007"})

        fresh(enter_on_first_row)
        now = int(time.time())
        copied = s.wait("the copied code", lambda: (lambda t: t if t != "something else" else "")(
            subprocess.run(["xclip", "-selection", "clipboard", "-o"], capture_output=True,
                           text=True).stdout))
        assert copied in {cli_code(now), cli_code(now - 1), cli_code(now + 1)}, copied

        step("at 200% zoom nothing overflows sideways")
        s.script("document.documentElement.style.zoom = '2';")
        time.sleep(0.5)
        widths = s.script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];")
        assert widths[0] <= widths[1] + 1, f"horizontal overflow at 200%: {widths}"
        s.screenshot("zoom-200.png")
        s.script("document.documentElement.style.zoom = ''; window.scrollTo(0, 0);")
        # WebDriver clicks land where the element was laid out: let the page settle first.
        time.sleep(0.5)

        step("scan the screen: a QR code shown on the virtual screen is added")
        scan_dir = os.path.join(os.environ["KEYGATE_E2E_SCRATCH"], "qr-source")
        qr_png = os.path.join(os.environ["KEYGATE_E2E_SCRATCH"], "scan-me.png")
        scan_link = f"otpauth://totp/Scanned:bob?secret={SECRET}&issuer=Scanned"
        subprocess.run([CLI, "--data-dir", scan_dir, "add", scan_link], check=True,
                       capture_output=True)
        subprocess.run([CLI, "--data-dir", scan_dir, "qr", "Scanned", "--out", qr_png],
                       check=True, capture_output=True)
        viewer = subprocess.Popen(["display", "-geometry", "+700+100", qr_png])
        try:
            s.wait("the QR code window", lambda: '"scan-me.png"' in subprocess.run(
                ["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
                or "ImageMagick" in subprocess.run(["xwininfo", "-root", "-tree"],
                                                   capture_output=True, text=True).stdout)
            time.sleep(1)
            s.click("#add-button")
            s.wait("the add dialog", lambda: s.visible("#add-dialog"))
            s.click("#add-screen-button")
            result = s.wait("the scan result", lambda: (s.visible("#add-error") and
                            "ERROR: " + s.text("#add-error")) or s.text("#add-result"), timeout=60)
            assert result == "added: Scanned (bob)", result
            s.click("#add-close")
            s.wait("five rows", lambda: s.script(
                "return document.querySelectorAll('li.account').length") == 5)
        finally:
            viewer.terminate()
            viewer.wait()

        step("lock hides codes; unlock shows them again")
        s.click("#lock-button")
        s.wait("the locked view", lambda: s.visible("#locked"))
        assert not s.visible("li.account"), "codes still shown while locked"
        # The app's errors reach the webview as {kind, message}.
        locked = s.script("return window.__TAURI_INTERNALS__.invoke('list_accounts')"
                          ".then(() => 'listed', e => JSON.stringify(e));")
        assert locked != "listed" and json.loads(locked).get("kind") == "locked", locked
        s.screenshot("locked.png")
        s.click("#unlock-button")
        s.wait("the account row after unlock", lambda: s.visible("li.account"))

        step("with an app password set, unlocking asks for it and refuses a wrong one")
        s.click("#app-password-button")
        s.wait("the app password dialog", lambda: s.visible("#app-password-dialog"))
        s.type("#app-password-new", "app password 1")
        s.type("#app-password-repeat", "app password 1")
        s.click("#app-password-save")
        s.wait("the dialog to close", lambda: not s.visible("#app-password-dialog"))
        s.click("#lock-button")
        s.wait("the password field", lambda: s.visible("#locked") and s.visible("#unlock-password"))
        s.type("#unlock-password", "not it at all")
        s.click("#unlock-button")
        refused = s.wait("the refusal", lambda: s.visible("#unlock-error") and s.text("#unlock-error"))
        assert "wrong app password" in refused, refused
        assert not s.visible("li.account"), "codes shown after a wrong password"
        s.screenshot("locked-password.png")
        time.sleep(1.2)  # one failure: 1 s back-off
        s.script("document.getElementById('unlock-password').value = '';")
        s.type("#unlock-password", "app password 1")
        s.click("#unlock-button")
        s.wait("the accounts after unlock", lambda: s.visible("li.account"))
        s.click("#app-password-button")
        s.wait("the app password dialog", lambda: s.visible("#app-password-dialog"))
        s.type("#app-password-current", "app password 1")
        s.click("#app-password-remove")
        s.wait("the dialog to close", lambda: not s.visible("#app-password-dialog"))

        step("delete asks for confirmation, then removes the account")
        rows = lambda: s.script("return document.querySelectorAll('li.account').length")
        s.click("li.account .delete")
        s.wait("the delete dialog", lambda: s.visible("#delete-dialog"))
        s.screenshot("delete-confirm.png")
        assert rows() == 5, "deleted before confirming"
        s.click("#delete-confirm")
        s.wait("four rows", lambda: rows() == 4)

        more_authenticator_steps(s)
        console_steps(s)
        print("e2e: all steps passed")
    finally:
        s.close()


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, StaleElement) as err:
        print(f"e2e FAILED: {err}", file=sys.stderr)
        # The same line as cargo's, so scripts/test.sh totals the steps with the Rust tests.
        print(f"test result: FAILED. {STEPS['started'] - 1} passed; 1 failed (e2e steps)")
        sys.exit(1)
    print(f"test result: ok. {STEPS['started']} passed; 0 failed (e2e steps)")
