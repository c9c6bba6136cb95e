"""Reading a user's documents (JSON, YAML, text) with errors that name the file, line and
column: what every shell hands the service layer."""

from __future__ import annotations

from vigil.inputs import JSON_DEPTH as JSON_DEPTH
from vigil.inputs import InputError as InputError
from vigil.inputs import TooLarge as TooLarge
from vigil.inputs import expect_list as expect_list
from vigil.inputs import expect_mapping as expect_mapping
from vigil.inputs import inflate_gzip as inflate_gzip
from vigil.inputs import json_depth as json_depth
from vigil.inputs import load_json as load_json
from vigil.inputs import load_yaml as load_yaml
from vigil.inputs import loads as loads
from vigil.inputs import parse_json as parse_json
from vigil.inputs import parse_yaml as parse_yaml
from vigil.inputs import read_text as read_text
