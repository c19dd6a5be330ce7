"""The scripted fake LLM provider, plus OpenAI's transcription endpoint and a file host.

``POST /{label}/v1/audio/transcriptions`` reads the multipart form as OpenAI does and answers
``{"text": …}`` (or the scripted failure); ``GET /files/{name}`` serves ``files[name]`` (a
provider's media storage).
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.llm.fake_provider import FakeProvider, Recorded, Reply


def form_parts(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart form's fields: a file as ``{filename, content_type, data}``."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if part.get_filename():
            fields[str(name)] = {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "data": data,
            }
        else:
            fields[str(name)] = data.decode()
    return fields


class FakeAudioProvider(FakeProvider):
    """:class:`FakeProvider` that also transcribes and hosts files."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}
        self.app.router.routes.extend(
            [
                Route("/{label}/v1/audio/transcriptions", self._transcribe, methods=["POST"]),
                Route("/files/{name}", self._file, methods=["GET"]),
            ]
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def reset(self) -> None:
        super().reset()
        self.files.clear()

    async def _transcribe(self, request: Request) -> Response:
        label = request.path_params["label"]
        body = form_parts(request.headers["content-type"], await request.body())
        with self._lock:
            self.requests.append(Recorded(label, request.url.path, dict(request.headers), body))
            queue = self._scripts[label]
            reply = queue.popleft() if queue else Reply.ok(f"Hello from {label}")
        failure = await self._failure(reply)
        if failure is not None:
            return failure
        return JSONResponse({"text": reply.text})

    async def _file(self, request: Request) -> Response:
        data = self.files.get(request.path_params["name"])
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="application/octet-stream")
