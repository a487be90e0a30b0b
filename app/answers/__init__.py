"""Answer templates: the texts officers start a response, a request for information or a
decision from, kept by managers in the four languages, versioned, and counted when used."""
