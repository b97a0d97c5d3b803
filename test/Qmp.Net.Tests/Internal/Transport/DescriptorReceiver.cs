using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Qmp.Net.Tests.Internal;

/// <summary>The receiving side of descriptor passing (recvmsg with SCM_RIGHTS), as QEMU does it, for the tests.</summary>
internal static unsafe partial class DescriptorReceiver
{
    /// <summary>Reads <paramref name="length"/> bytes, collecting every descriptor that comes with them.</summary>
    public static (byte[] Bytes, int[] Descriptors) Receive(Socket socket, int length)
    {
        var data = new byte[length];
        var descriptors = new List<int>();
        var read = 0;
        var control = stackalloc byte[256];
        while (read < length)
        {
            fixed (byte* p = &data[read])
            {
                var vector = new IoVector { Base = p, Length = (nuint)(length - read) };
                var header = new MessageHeader { Vector = &vector, VectorLength = 1, Control = control, ControlLength = 256 };
                var n = recvmsg((int)socket.SafeHandle.DangerousGetHandle(), &header, 0);
                Assert.That((long)n, Is.Positive, "recvmsg failed or the peer closed");
                var offset = 0;
                while (offset + 16 <= (int)header.ControlLength)
                {
                    var cmsgLength = (int)*(nuint*)(control + offset);
                    var level = *(int*)(control + offset + 8);
                    var type = *(int*)(control + offset + 12);
                    if (level == 1 && type == 1)
                    {
                        for (var i = 16; i + 4 <= cmsgLength; i += 4)
                        {
                            descriptors.Add(*(int*)(control + offset + i));
                        }
                    }

                    offset += (cmsgLength + 7) & ~7;
                }

                read += (int)n;
            }
        }

        return (data, descriptors.ToArray());
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvmsg(int socket, MessageHeader* message, int flags);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    public static void Close(int fd) => close(fd);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vector;
        public nuint VectorLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
