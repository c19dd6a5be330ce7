"""AWS Bedrock through its OpenAI-compatible endpoint and a Bedrock API key (no boto3)."""

from __future__ import annotations

from frontdesk.llm.providers.openai import OpenAIProvider


class BedrockProvider(OpenAIProvider):
    """Bedrock Runtime's ``/openai/v1`` Chat Completions (set ``base_url`` for another region)."""

    kind = "bedrock"
    default_base_url = "https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1"
