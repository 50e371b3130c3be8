"""The review loop around pull requests: diff of render outputs, new repositories, screenshots."""
