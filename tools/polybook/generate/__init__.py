"""What the source becomes without running anything: notebooks per framework and the library."""
