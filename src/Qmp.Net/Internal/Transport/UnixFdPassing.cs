using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Qmp.Net.Internal;

/// <summary>Sends bytes with file descriptors attached as <c>SCM_RIGHTS</c> ancillary data over a Unix domain socket
/// (<c>sendmsg(2)</c>): the way QMP hands QEMU descriptors for <c>getfd</c> and <c>add-fd</c>. .NET has no managed API for
/// it. Linux only: the structure layouts below are Linux's (LP64 and ILP32 alike, through <see cref="nint"/>).</summary>
internal static unsafe partial class UnixFdPassing
{
    /// <summary>QEMU accepts at most this many descriptors with one message (its chardev's <c>TCP_MAX_FDS</c>).</summary>
    public const int MaxDescriptors = 16;

    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgNoSignal = 0x4000;
    private const int EAgain = 11;
    private const int EIntr = 4;

    /// <summary>Gets a value indicating whether this platform can pass descriptors (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Sends the start of <paramref name="data"/> with <paramref name="descriptors"/> attached; returns how many
    /// bytes went out (at least one), or 0 when the socket's send buffer is full (try again when it is writable).</summary>
    /// <exception cref="SocketException">sendmsg failed (the connection is broken, or a descriptor is not valid).</exception>
    public static int Send(Socket socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors)
    {
        if (data.IsEmpty || descriptors.IsEmpty || descriptors.Length > MaxDescriptors)
        {
            throw new ArgumentException("sendmsg needs at least one byte and between 1 and 16 descriptors.");
        }

        var fdBytes = descriptors.Length * sizeof(int);
        var headerSize = sizeof(CmsgHeader);
        var controlLength = Align(headerSize + fdBytes);
        var control = stackalloc byte[controlLength];
        new Span<byte>(control, controlLength).Clear();
        var header = (CmsgHeader*)control;
        header->Length = (nuint)(headerSize + fdBytes);
        header->Level = SolSocket;
        header->Type = ScmRights;
        descriptors.CopyTo(new Span<int>(control + headerSize, descriptors.Length));

        fixed (byte* bytes = data)
        {
            var vector = new IoVector { Base = bytes, Length = (nuint)data.Length };
            var message = new MessageHeader
            {
                Vector = &vector,
                VectorLength = 1,
                Control = control,
                ControlLength = (nuint)controlLength,
            };

            var handle = socket.SafeHandle;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                while (true)
                {
                    var sent = sendmsg((int)handle.DangerousGetHandle(), &message, MsgNoSignal);
                    if (sent >= 0)
                    {
                        return (int)sent;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr)
                    {
                        continue;
                    }

                    if (errno == EAgain)
                    {
                        return 0;
                    }

                    throw new SocketException(ToSocketError(errno), $"sendmsg with {descriptors.Length} descriptor(s) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }
    }

    private static int Align(int length) => (length + sizeof(nint) - 1) & ~(sizeof(nint) - 1);

    private static int ToSocketError(int errno) => errno switch
    {
        9 => (int)SocketError.InvalidArgument,      // EBADF: a descriptor is not open
        22 => (int)SocketError.InvalidArgument,     // EINVAL
        32 => (int)SocketError.Shutdown,            // EPIPE
        104 => (int)SocketError.ConnectionReset,    // ECONNRESET
        107 => (int)SocketError.NotConnected,       // ENOTCONN
        _ => (int)SocketError.SocketError,
    };

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendmsg(int socket, MessageHeader* message, int flags);

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

    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }
}
