"""The translator round-trip: templates out to XLIFF 2.0 and translations back into Markdown."""
