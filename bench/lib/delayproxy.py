#!/usr/bin/python3
"""delayproxy.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS

A TCP proxy that holds every chunk DELAY_MS in each direction, in order:
a link with a round trip of twice DELAY_MS (this kernel has no netem).
For bench/latency.sh; not a test part."""

import asyncio
import sys


async def pump(reader, writer, delay):
    loop = asyncio.get_running_loop()
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            loop.call_later(delay, writer.write, data)
        await asyncio.sleep(delay)
    finally:
        writer.close()


async def main():
    lhost, lport, thost, tport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    delay = float(sys.argv[5]) / 1000.0

    async def serve(creader, cwriter):
        sreader, swriter = await asyncio.open_connection(thost, tport)
        await asyncio.gather(pump(creader, swriter, delay),
                             pump(sreader, cwriter, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(serve, lhost, lport)
    async with server:
        await server.serve_forever()


asyncio.run(main())
