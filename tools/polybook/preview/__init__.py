"""``polybook serve``: the site, rebuilt as the book is edited, reloaded in the browser."""
