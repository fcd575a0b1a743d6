# The book's configuration. Sphinx's conventions; polybook's own settings start with polybook_.
# Every setting is listed, with its meaning, in CONTRIBUTING.md ("Configuration").

project = "Deep Learning in Every Framework"
author = "The polybook authors"
copyright = "2026, the polybook authors. Text CC BY-SA 4.0, code MIT"
release = "0.1"

polybook_name = "polybook"
polybook_pages = "chapters"
polybook_frameworks = ["pytorch", "tensorflow", "mxnet"]
polybook_languages = ["en", "ko", "zh", "ja"]
polybook_repository = ""
