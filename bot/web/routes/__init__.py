"""The site's pages, one module a part: login, the queue, one ticket, its files, admin."""
