"""The README stays true: its configuration table is what the binary's --schema prints."""
import os
import re
import subprocess

from conftest import GATEWAY

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def test_readme_schema_table_matches_binary():
    with open(README) as f:
        text = f.read()
    m = re.search(r"<!-- schema:begin -->\n(.*?)<!-- schema:end -->", text, re.S)
    assert m, "README lost its schema markers"
    schema = subprocess.run([GATEWAY, "--schema"], capture_output=True, text=True,
                            check=True).stdout
    assert m.group(1).strip() == schema.strip(), (
        "README's configuration table is stale: paste `lwm2m-mqtt-gateway --schema` between "
        "the schema markers")
