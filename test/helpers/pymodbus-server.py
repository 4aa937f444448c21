"""A Modbus TCP server (pymodbus 3.0, Debian's python3-pymodbus) playing one or more PDUs behind one
gateway, for the firmware bridge's interop tests. Run with Debian's /usr/bin/python3.

    /usr/bin/python3 test/helpers/pymodbus-server.py --port 0 --units 1,2

Prints `PORT <n>` on stdout once it listens. Every unit has the register layout of
firmware-bridge/profiles/generic-modbus-pdu.yaml (zero-based protocol addresses):

  coils 0..7         outlets 1..8 (1 = on); outlet 3 starts off
  discrete 0         breaker tripped (0)
  holding 0          input voltage, uint16, 0.1 V
  holding 1          input current, uint16, 0.01 A
  holding 2-3        active power, float32, W, high word first
  holding 4-5        energy, uint32, Wh, high word first
  holding 6          frequency, uint16, 0.01 Hz
  holding 10..17     name, 16 ASCII characters, space padded
  input 0            temperature, int16, 0.1 degC

A unit id that is not served gets no answer at all (pymodbus 3.0 drops the request), like a gateway
whose serial device is silent: the bridge sees a timeout on an open connection.
"""

import argparse
import asyncio
import struct
import sys
import types

try:
    import serial_asyncio  # noqa: F401
except ImportError:
    # Debian's pymodbus 3.0 server module imports pyserial-asyncio at load time even for TCP, but the
    # package does not depend on python3-serial-asyncio. Nothing serial is used here: a stub suffices.
    stub = types.ModuleType("serial_asyncio")
    stub.create_serial_connection = None
    sys.modules["serial_asyncio"] = stub

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server.async_io import ModbusTcpServer


def words_f32(value):
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low]


def words_u32(value):
    return [(value >> 16) & 0xFFFF, value & 0xFFFF]


def words_str(text, registers):
    raw = text.ljust(registers * 2).encode("ascii")
    return [(raw[i] << 8) | raw[i + 1] for i in range(0, registers * 2, 2)]


def pdu(unit):
    holding = [0] * 32
    holding[0] = 2304 - (unit - 1) * 10
    holding[1] = 512
    holding[2:4] = words_f32(1178.5)
    holding[4:6] = words_u32(123456 + unit)
    holding[6] = 5001
    holding[10:18] = words_str(f"PDU-{unit}", 8)
    coils = [1, 1, 0, 1, 1, 1, 1, 1] + [0] * 8
    return ModbusSlaveContext(
        co=ModbusSequentialDataBlock(0, coils),
        di=ModbusSequentialDataBlock(0, [0] * 16),
        hr=ModbusSequentialDataBlock(0, holding),
        ir=ModbusSequentialDataBlock(0, [235] + [0] * 15),
        zero_mode=True,
    )


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--units", default="1")
    args = parser.parse_args()
    units = [int(u) for u in args.units.split(",")]
    context = ModbusServerContext(slaves={u: pdu(u) for u in units}, single=False)
    server = ModbusTcpServer(context, address=(args.host, args.port), allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    await task


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
