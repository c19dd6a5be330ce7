"""Transforms: what a customer's files say (OCR, transcription) and translation.

One module per transform (``ocr``, ``transcribe``, ``translate``); ``service`` runs them on
stored files and keeps the results beside them. The pipeline calls :func:`message_text` and
:func:`translate`.
"""

from frontdesk.understanding.transforms.service import message_text
from frontdesk.understanding.transforms.translate import translate

__all__ = ["message_text", "translate"]
