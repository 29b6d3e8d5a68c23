"""The school's people: roster import (CSV, OneRoster), invites and the demo school."""
