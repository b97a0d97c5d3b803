namespace Qmp.Net.Qemu;

/// <summary>How <see cref="QemuProcess"/> reaches the QMP monitor it adds to QEMU's arguments.</summary>
public enum QemuMonitorMode
{
    /// <summary>Qmp.Net listens on the monitor socket before QEMU starts, and QEMU connects to it as the socket's client
    /// (<c>-chardev socket,path=P -mon chardev=...,mode=control</c>). There is nothing to wait or retry for, and no
    /// start-up race: the connection exists once QEMU has started.</summary>
    Accept,

    /// <summary>QEMU listens (<c>-qmp unix:P,server=on,wait=off</c>) and Qmp.Net connects, retrying while the socket is
    /// not there yet and reconnecting when QEMU 7.2's start-up race breaks the first connection.</summary>
    Connect,
}
