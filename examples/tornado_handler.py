"""Tornado handlers of the report exporter: render a report to PDF, fetch exchange rates."""
import asyncio
import json
import subprocess
import urllib.request

import tornado.gen
import tornado.httpclient
import tornado.web

RATES_URL = "https://rates.internal.example/latest.json"


class ExportHandlerBlocking(tornado.web.RequestHandler):
    @tornado.gen.coroutine
    def get(self, report_id):
        html = yield self.application.reports.render(report_id)
        # blocking-call: the IOLoop waits for the PDF renderer to exit.
        result = subprocess.run(["wkhtmltopdf", "-", "-"], input=html, capture_output=True, check=True)
        self.set_header("Content-Type", "application/pdf")
        self.write(result.stdout)


class ExportHandler(tornado.web.RequestHandler):
    async def get(self, report_id):
        html = await self.application.reports.render(report_id)
        renderer = await asyncio.create_subprocess_exec(
            "wkhtmltopdf", "-", "-", stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        pdf, _ = await renderer.communicate(html)
        self.set_header("Content-Type", "application/pdf")
        self.write(pdf)


class RatesHandlerBlocking(tornado.web.RequestHandler):
    async def get(self):
        # blocking-call: urlopen does its network I/O on the IOLoop thread.
        with urllib.request.urlopen(RATES_URL, timeout=5) as response:
            self.write(json.load(response))


class RatesHandler(tornado.web.RequestHandler):
    async def get(self):
        response = await tornado.httpclient.AsyncHTTPClient().fetch(RATES_URL, request_timeout=5)
        self.write(json.loads(response.body))
