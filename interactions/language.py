"""The customer's language, detected offline from short texts (py3langid), for language skills in routing."""

from functools import cache

SUPPORTED = ["en", "es", "fr", "de", "pt", "it", "nl"]
MIN_CONFIDENCE = 0.8


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(SUPPORTED)
    return identifier


def detect_language(text: str) -> str:
    """ISO 639-1 code, or "" when the text is too short or too ambiguous to say ("Hola", "ok?")."""
    words = [w for w in (text or "").split() if not w.startswith(("@", "http"))]
    if len(words) < 3:
        return ""
    language, confidence = _identifier().classify(" ".join(words))
    return language if confidence >= MIN_CONFIDENCE else ""
