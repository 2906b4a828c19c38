"""
The object model through the gateway: a scripted device answers in TLV and
plain text, and a client that asks for JSON gets each value in the field of
its resource's type (Device's Binding "U" a string, not 85), with what the
model does not know opaque. The operator's DDF files in [lwm2m] models_dir
type a vendor object, replace a built-in one, are read again on SIGHUP (a
broken one keeps the running model), and a broken one fails `outpost -n`
and the start with exit 78, naming the file and line.
"""
import json
import os

JSON = {"Accept": "application/json"}

# /3/0 of the LwM2M TS's TLV example, and a resource the model lacks (999).
DEVICE_TLV = bytes(
    [0xC8, 0x00, 0x14]) + b"Open Mobile Alliance" + bytes(
    [0xC3, 0x03]) + b"1.0" + bytes(
    [0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05,     # 6 Power Sources
     0xC1, 0x09, 0x64,                                   # 9 Battery 100
     0xC4, 0x0D, 0x51, 0x82, 0x42, 0x8F,                 # 13 Current Time
     0xC1, 0x10, ord("U"),                               # 16 Binding "U"
     0xE1, 0x03, 0xE7, 0x01])                            # 999 unknown

VENDOR_TLV = bytes([0xC1, 0x00, 0x01,                    # 0 Enabled
                    0xC1, 0x01, ord("U"),                # 1 Mode
                    0xC4, 0x02, 0x00, 0x03, 0x00, 0x00,  # 2 Link 3:0
                    0xC2, 0x05, 0x01, 0x00])             # 5 unknown

VENDOR_DDF = """<?xml version="1.0" encoding="utf-8"?>
<LWM2M><Object ObjectType="MODefinition">
<Name>Vendor Valve</Name><ObjectID>33000</ObjectID>
<ObjectVersion>1.0</ObjectVersion>
<MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional</Mandatory>
<Resources>
<Item ID="0"><Name>Enabled</Name><Operations>RW</Operations>
<MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory>
<Type>Boolean</Type><RangeEnumeration></RangeEnumeration><Units></Units>
<Description>open or shut</Description></Item>
<Item ID="1"><Name>Mode</Name><Operations>RW</Operations>
<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
<Type>String</Type><RangeEnumeration></RangeEnumeration><Units></Units>
<Description>a letter</Description></Item>
<Item ID="2"><Name>Link</Name><Operations>R</Operations>
<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
<Type>Objlnk</Type><RangeEnumeration></RangeEnumeration><Units></Units>
<Description>a device</Description></Item>
</Resources></Object></LWM2M>
"""

# Temperature with its Sensor Value as an Integer: replaces the built-in.
TEMP_DDF = """<LWM2M><Object><Name>Temperature</Name><ObjectID>3303</ObjectID>
<Resources><Item ID="5700"><Name>Sensor Value</Name><Operations>R</Operations>
<Type>Integer</Type></Item></Resources></Object></LWM2M>
"""

BROKEN_DDF = """<LWM2M><Object><Name>Bad</Name><ObjectID>33001</ObjectID>
<Resources>
<Item ID="1"><Name>x</Name><Type>Flaot</Type></Item>
</Resources></Object></LWM2M>
"""


def read_json(gw, ep, path):
    status, hdrs, body = gw.http("GET", "/v1/devices/%s/r/%s" % (ep, path),
                                 headers=JSON)
    assert status == 200, (status, body)
    assert hdrs["content-type"] == "application/json"
    return json.loads(body)


def values(pack):
    """{name: (field, value)} of a SenML pack, names relative to bn."""
    out = {}
    for rec in pack:
        fields = [k for k in rec if k in ("v", "vs", "vb", "vd", "vlo")]
        assert len(fields) == 1, rec
        out[rec.get("n", "")] = (fields[0], rec[fields[0]])
    return out


def test_tlv_and_text_read_as_typed_json(gateway, devices):
    devices(gateway, "om-typed", answers={
        "GET 3/0": ("2.05", DEVICE_TLV, 11542, None),
        "GET 3/0/16": ("2.05", b"U", 0, None),
        "GET 3/0/9": ("2.05", b"87", 0, None),
        "GET 6/0/0": ("2.05", b"-43.5723", 0, None),
        "GET 0/0/3": ("2.05", b"\x00\xff", 42, None),
        "GET 3/0/999": ("2.05", b"hi", 0, None),
        "GET health": ("2.05", b"ok", 0, None)})
    pack = read_json(gateway, "om-typed", "3/0")
    assert pack[0]["bn"] == "/3/0/"
    assert values(pack) == {
        "0": ("vs", "Open Mobile Alliance"), "3": ("vs", "1.0"),
        "6/0": ("v", 1), "6/1": ("v", 5), "9": ("v", 100),
        "13": ("v", 1367491215), "16": ("vs", "U"),
        "999": ("vd", "AQ")}
    # Plain text and opaque answers of one resource, by type too.
    assert read_json(gateway, "om-typed", "3/0/16") == [
        {"bn": "/3/0/16", "vs": "U"}]
    assert read_json(gateway, "om-typed", "3/0/9") == [
        {"bn": "/3/0/9", "v": 87}]
    assert read_json(gateway, "om-typed", "6/0/0") == [
        {"bn": "/6/0/0", "v": -43.5723}]
    assert read_json(gateway, "om-typed", "0/0/3") == [
        {"bn": "/0/0/3", "vd": "AP8"}]
    assert read_json(gateway, "om-typed", "3/0/999") == [
        {"bn": "/3/0/999", "vd": "aGk"}]
    # A plain CoAP resource's text is no LwM2M value: passed on as it is.
    status, hdrs, body = gateway.http("GET", "/v1/devices/om-typed/r/health",
                                      headers=JSON)
    assert (status, body) == (200, b"ok")
    assert hdrs["content-type"].startswith("text/plain")
    # Without Accept, the device's own bytes.
    status, hdrs, body = gateway.http("GET", "/v1/devices/om-typed/r/3/0/16")
    assert (status, body) == (200, b"U")
    assert hdrs["content-type"].startswith("text/plain")
    # The model behind it, by name.
    device = gateway.get_json("/v1/objects/3")
    assert device["source"] == "builtin"
    assert [(r["name"], r["type"]) for r in device["resources"]
            if r["id"] == 16] == [("Supported Binding and Modes", "String")]


def test_models_dir_types_a_vendor_object_and_reloads(gateway_factory,
                                                       devices, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "README").write_text("not a definition: not read\n")
    gw = gateway_factory(lwm2m={"models_dir": str(models)})
    devices(gw, "om-vendor", answers={
        "GET 33000/0": ("2.05", VENDOR_TLV, 11542, None),
        "GET 3303/0/5700": ("2.05", bytes([0xE1, 0x16, 0x44, 0x15]), 11542,
                            None)})
    # Unknown to the model: every value opaque, never guessed.
    assert values(read_json(gw, "om-vendor", "33000/0")) == {
        "0": ("vd", "AQ"), "1": ("vd", "VQ"), "2": ("vd", "AAMAAA"),
        "5": ("vd", "AQA")}
    assert read_json(gw, "om-vendor", "3303/0/5700") == [
        {"bn": "/3303/0/5700", "vd": "FQ"}]  # 1 byte is no Float
    gw.get_json("/v1/objects/33000", expect=404)

    # The files arrive; SIGHUP reads the directory again.
    (models / "valve.xml").write_text(VENDOR_DDF)
    (models / "temp.xml").write_text(TEMP_DDF)
    mark = gw.log_mark()
    gw.reload()
    gw.wait_log("object 3303 (Temperature) from %s replaces the built-in "
                "definition" % (models / "temp.xml"), since=mark)
    assert values(read_json(gw, "om-vendor", "33000/0")) == {
        "0": ("vb", True), "1": ("vs", "U"), "2": ("vlo", "3:0"),
        "5": ("vd", "AQA")}
    assert read_json(gw, "om-vendor", "3303/0/5700") == [
        {"bn": "/3303/0/5700", "v": 21}]
    listed = {o["id"]: o for o in gw.get_json("/v1/objects")["objects"]}
    assert listed[33000]["source"] == "file"
    assert listed[33000]["file"] == "valve.xml"
    assert listed[3303]["source"] == "file"
    assert listed[3]["source"] == "builtin"
    valve = gw.get_json("/v1/objects/33000")
    assert [(r["id"], r["name"], r["type"], r["operations"])
            for r in valve["resources"]] == [
        (0, "Enabled", "Boolean", "RW"), (1, "Mode", "String", "RW"),
        (2, "Link", "Objlnk", "R")]

    # A broken file on reload: logged with its name and line, and the
    # running model stays.
    (models / "zz-broken.xml").write_text(BROKEN_DDF)
    mark = gw.log_mark()
    gw.reload()
    line = gw.wait_log("keeping the running object model", since=mark)
    assert "%s:3: Type 'Flaot'" % (models / "zz-broken.xml") in line, line
    assert values(read_json(gw, "om-vendor", "33000/0"))["1"] == ("vs", "U")
    assert gw.alive()


def test_broken_file_fails_check_and_start(gateway_factory, run_outpost,
                                           tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "valve.xml").write_text(VENDOR_DDF)
    (models / "broken.xml").write_text(BROKEN_DDF)
    gw = gateway_factory(start=False, lwm2m={"models_dir": str(models)})
    gw.write_ini()
    rc, out, err = run_outpost("-n", "-c", gw.ini)
    assert rc == 78 and "configuration OK" not in out, (rc, err)
    assert "%s:3: Type 'Flaot' is none of" % (models / "broken.xml") in err
    gw.start(wait=False)
    assert gw.wait_exit() == 78
    assert "%s:3:" % (models / "broken.xml") in gw.log()
    # A directory that is not there fails the same way.
    gw.write_ini(sections={"lwm2m": {"models_dir": str(tmp_path / "none")}})
    rc, out, err = run_outpost("-n", "-c", gw.ini)
    assert rc == 78 and "none: No such file or directory" in err, err
    # Mended, the check passes.
    os.remove(str(models / "broken.xml"))
    gw.write_ini(sections={"lwm2m": {"models_dir": str(models)}})
    rc, out, err = run_outpost("-n", "-c", gw.ini)
    assert rc == 0 and "configuration OK" in out, err
