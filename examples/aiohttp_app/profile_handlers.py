"""Profile pages.

Nothing here calls a blocking function directly, so a linter that looks one call deep
sees nothing wrong. But `load_profile` (profiles.py) calls `fetch_json`, which waits on
`requests.get` with the event loop stopped. The second handler hands the same helper
to a worker thread.
"""
import asyncio

from aiohttp import web

from .profiles import load_profile, profile_summary


async def show_profile(request):
    # blocking-call-transitive: load_profile() reaches requests.get() two calls down, in profiles.py
    profile = load_profile(request.match_info["user"])
    return web.json_response(text=profile_summary(profile))


async def show_profile_off_loop(request):
    profile = await asyncio.to_thread(load_profile, request.match_info["user"])
    return web.json_response(text=profile_summary(profile))
