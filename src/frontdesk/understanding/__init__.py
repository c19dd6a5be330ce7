"""Understanding: language, intent, entities and sentiment of each message."""
