"""One module per attack or fault of issue #11: each test failed on the code before the fix."""
