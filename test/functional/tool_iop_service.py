#!/usr/bin/env python3
"""iop-service against iopd -profile=1: identity files, ping and roles, two identities
register and publish profiles at known places, a radius search finds the one inside and
not the one outside (with every page fetched), get by id, application services, check-in
presence, cancel; status errors exit 1 with "error: STATUS_NAME: details", usage errors
exit 2, a closed port exits 3."""
import json
import os
import stat
import subprocess

from test_framework.test_framework import IopTestFramework, SkipTest, run
from test_framework.util import assert_equal, assert_in, free_port, wait_until

PRAGUE = (50.087451, 14.420671)       # Old Town Square
NEAR_PRAGUE = (50.0755, 14.4378)      # Wenceslas Square area, about 1.8 km away
BRNO = (49.195061, 16.606836)         # about 185 km away

# The smallest header the server accepts as a PNG: signature and an IHDR chunk (16x16).
PNG = (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\x00\x00\x00\x10" * 2
       + b"\x08\x06\x00\x00\x00" + b"\x11\x22\x33\x44")


class IopServiceTest(IopTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.port = free_port()
        self.extra_args = [["-profile=1", "-profileport=%d" % self.port,
                            "-profilebind=127.0.0.1"]]

    def tool(self, *args, identity=None, new=False, connect=None, timeout=60):
        exe = os.path.join(self.builddir, "src", "iop-service")
        full = [exe, "-connect=%s" % (connect or "127.0.0.1:%d" % self.port)]
        if identity:
            full.append("-identity=" + identity)
        if new:
            full.append("-newidentity")
        return subprocess.run(full + list(args), capture_output=True, text=True,
                              timeout=timeout)

    def ok(self, *args, **kw):
        r = self.tool(*args, **kw)
        assert r.returncode == 0, (args, r.returncode, r.stderr)
        assert_equal(r.stderr, "")
        return json.loads(r.stdout)

    def fails(self, code, *args, **kw):
        r = self.tool(*args, **kw)
        assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
        assert_equal(r.stdout, "")
        assert r.stderr.startswith("error: "), r.stderr
        return r.stderr

    def run_test(self):
        exe = os.path.join(self.builddir, "src", "iop-service")
        h = subprocess.run([exe, "-help"], capture_output=True, text=True)
        if "not built yet" in h.stdout + h.stderr:
            raise SkipTest("iop-service not built yet")
        assert_equal(h.returncode, 0)
        assert_in("profile search", h.stdout)

        self.log("identity files: -newidentity creates a 0600 key file, then it is reused")
        ida = os.path.join(self.tmpdir, "alice.key")
        idb = os.path.join(self.tmpdir, "bob.key")
        a = self.ok("identity", identity=ida, new=True)
        assert_equal(stat.S_IMODE(os.stat(ida).st_mode), 0o600)
        assert_equal(os.path.getsize(ida), 32)
        assert_equal(self.ok("identity", identity=ida), a)
        assert_equal(len(a["public_key"]), 64)
        b = self.ok("identity", identity=idb, new=True)
        assert a["identity_id"] != b["identity_id"]
        err = self.fails(2, "identity", identity=os.path.join(self.tmpdir, "missing.key"))
        assert_in("does not exist", err)

        self.log("ping and roles")
        assert_equal(self.ok("ping", "hello")["payload"], "hello")
        roles = self.ok("roles")
        assert {"service": "profile", "port": self.port} in roles, roles

        self.log("two identities register and publish profiles")
        reg = self.ok("profile", "register", "--type", "person", identity=ida)
        assert_equal(reg["plan"], "free")
        assert_equal(reg["identity_id"], a["identity_id"])
        self.ok("profile", "register", "--type=person", "--plan", "free", identity=idb)
        png = os.path.join(self.tmpdir, "face.png")
        with open(png, "wb") as f:
            f.write(PNG)
        up = self.ok("profile", "update", "--name", "Alice", "--lat", str(PRAGUE[0]),
                     "--lon", str(PRAGUE[1]), "--extra", "lang=cs", "--image", png,
                     identity=ida)
        assert_equal(up, {"identity_id": a["identity_id"], "version": 1})
        self.ok("profile", "update", "--type", "person", "--name", "Alicia", "--lat",
                str(BRNO[0]), "--lon", str(BRNO[1]), identity=idb)
        up = self.ok("profile", "update", "--name", "Alice", "--lat", str(PRAGUE[0]),
                     "--lon", str(PRAGUE[1]), "--extra", "lang=cs", "--image", png,
                     identity=ida)
        assert_equal(up["version"], 2)

        self.log("profile get: own profile and another by id")
        me = self.ok("profile", "get", identity=ida)
        assert_equal(me["name"], "Alice")
        assert_equal(me["version"], 2)
        assert_equal(me["signature_valid"], True)
        assert abs(me["latitude"] - PRAGUE[0]) < 1e-6 and abs(me["longitude"] - PRAGUE[1]) < 1e-6
        assert_equal(len(me["image_hash"]), 64)
        other = self.ok("profile", "get", b["identity_id"], "--images")
        assert_equal(other["name"], "Alicia")
        assert_equal(other["public_key"], b["public_key"])
        assert_equal(other["image"], "")

        self.log("search by radius: the one inside, not the one outside")
        near = "%s,%s" % NEAR_PRAGUE
        res = self.ok("profile", "search", "--near", near, "--radius", "5000")
        assert_equal(res["total"], 1)
        assert_equal([p["identity_id"] for p in res["profiles"]], [a["identity_id"]])
        assert abs(res["profiles"][0]["distance"] - 1805.5) < 1, res  # haversine, R 6371008.8 m
        res = self.ok("profile", "search", "--near", "%s,%s" % BRNO, "--radius", "5000")
        assert_equal([p["name"] for p in res["profiles"]], ["Alicia"])
        res = self.ok("profile", "search", "--near", near, "--radius", "1000")
        assert_equal(res, {"total": 0, "profiles": []})

        self.log("search by name, every page fetched")
        res = self.ok("profile", "search", "--name", "ali*", "--page", "1")
        assert_equal(res["total"], 2)
        assert_equal(sorted(p["name"] for p in res["profiles"]), ["Alice", "Alicia"])
        res = self.ok("profile", "search", "--name", "*ice", "--extra", "*lang=cs*")
        assert_equal([p["name"] for p in res["profiles"]], ["Alice"])

        self.log("application services")
        assert_equal(self.ok("profile", "app", "add", "chat", "wallet", identity=ida), {})
        self.ok("profile", "app", "remove", "wallet", identity=ida)
        assert_equal(self.ok("profile", "get", identity=ida)["application_services"], ["chat"])

        self.log("check-in keeps the identity online while the command runs")
        p = subprocess.Popen([exe, "-connect=127.0.0.1:%d" % self.port, "-identity=" + idb,
                              "profile", "checkin", "--seconds", "3"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = p.stdout.readline()
        assert_in('"online": true', first + p.stdout.readline())
        assert_equal(self.ok("profile", "get", b["identity_id"])["online"], True)
        out, errtext = p.communicate(timeout=60)
        assert_equal(p.returncode, 0)
        wait_until(lambda: not self.ok("profile", "get", b["identity_id"])["online"],
                   timeout=30, what="offline after the check-in ends")

        self.log("status errors: exit 1 and the status name")
        err = self.fails(1, "profile", "register", "--type", "person", identity=ida)
        assert err.startswith("error: ERROR_ALREADY_EXISTS: "), err
        err = self.fails(1, "profile", "update", "--type", "shop", identity=ida)
        assert_equal(err, "error: ERROR_INVALID_VALUE: profile.type\n")
        err = self.fails(1, "profile", "app", "remove", "nothing", identity=ida)
        assert err.startswith("error: ERROR_NOT_FOUND: "), err

        self.log("usage errors: exit 2, nothing sent")
        self.fails(2)
        self.fails(2, "nosuchcommand")
        self.fails(2, "profile")
        self.fails(2, "profile", "search", "--radius", "5000")
        self.fails(2, "profile", "search", "--near", "91,0", "--radius", "5")
        self.fails(2, "profile", "search", "--bogus")
        self.fails(2, "profile", "register", identity=ida)
        self.fails(2, "profile", "update", "--name", "x")  # no identity
        self.fails(2, "profile", "get", "abcd")
        self.fails(2, "-nosuchoption", "ping")
        self.fails(2, "ping", connect="not-an-address:x")
        self.fails(2, "profile", "update", "--image", os.path.join(self.tmpdir, "none.png"),
                   identity=ida)

        self.log("a closed port: exit 3")
        err = self.fails(3, "ping", connect="127.0.0.1:%d" % free_port())
        assert_in("cannot connect", err)

        self.log("cancel deletes the profile")
        assert_equal(self.ok("profile", "cancel", identity=ida), {})
        err = self.fails(1, "profile", "get", a["identity_id"])
        assert err.startswith("error: ERROR_NOT_FOUND: "), err
        res = self.ok("profile", "search", "--name", "ali*")
        assert_equal([p["name"] for p in res["profiles"]], ["Alicia"])


if __name__ == "__main__":
    run(IopServiceTest)
