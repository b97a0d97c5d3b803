using System.Runtime.InteropServices;

namespace Qmp.Net.Internal;

/// <summary>The file descriptors that go with one command, kept open for as long as anyone may still send them.</summary>
/// <remarks>Each handle is referenced (<see cref="SafeHandle.DangerousAddRef"/>) when the command is accepted, so that a
/// caller who disposes its handle early cannot close the descriptor under the writer. Holders: the command, until its task
/// ends in any way (answered, failed, cancelled), and the writer, for the duration of its send. When the last holder
/// releases, the references are given back; the caller's handles are never closed by Qmp.Net.</remarks>
internal sealed class DescriptorLease
{
    private readonly SafeHandle[] _handles;
    private readonly int[] _descriptors;
    private int _holders = 1;

    private DescriptorLease(SafeHandle[] handles, int[] descriptors)
    {
        _handles = handles;
        _descriptors = descriptors;
    }

    /// <summary>Gets the descriptor numbers, in the caller's order.</summary>
    public ReadOnlyMemory<int> Descriptors => _descriptors;

    /// <summary>Gets a value indicating whether every holder has released the lease.</summary>
    public bool IsReleased
    {
        get
        {
            lock (_handles)
            {
                return _holders == 0;
            }
        }
    }

    /// <summary>References every handle; the command is the first holder.</summary>
    /// <exception cref="ArgumentException">A handle is null, invalid or already closed, or there are none or too many.</exception>
    public static DescriptorLease Acquire(IReadOnlyList<SafeHandle> handles, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(handles, parameterName);
        if (handles.Count == 0 || handles.Count > UnixFdPassing.MaxDescriptors)
        {
            throw new ArgumentException($"Pass between 1 and {UnixFdPassing.MaxDescriptors} file descriptors with one command (QEMU accepts at most {UnixFdPassing.MaxDescriptors}).", parameterName);
        }

        var taken = new SafeHandle[handles.Count];
        var descriptors = new int[handles.Count];
        var count = 0;
        try
        {
            for (; count < handles.Count; count++)
            {
                var handle = handles[count] ?? throw new ArgumentException($"File descriptor {count} is null.", parameterName);
                if (handle.IsInvalid || handle.IsClosed)
                {
                    throw new ArgumentException($"File descriptor {count} is invalid or already closed.", parameterName);
                }

                var added = false;
                handle.DangerousAddRef(ref added);
                taken[count] = handle;
                descriptors[count] = (int)handle.DangerousGetHandle();
            }
        }
        catch (ObjectDisposedException e)
        {
            Release(taken, count);
            throw new ArgumentException($"File descriptor {count} was closed.", parameterName, e);
        }
        catch
        {
            Release(taken, count);
            throw;
        }

        return new DescriptorLease(taken, descriptors);
    }

    /// <summary>Becomes another holder (the writer, for its send); false when the lease has already been released.</summary>
    public bool TryAcquire()
    {
        lock (_handles)
        {
            if (_holders == 0)
            {
                return false;
            }

            _holders++;
            return true;
        }
    }

    /// <summary>One holder is done; the last gives the handles' references back.</summary>
    public void Release()
    {
        lock (_handles)
        {
            if (_holders == 0 || --_holders > 0)
            {
                return;
            }
        }

        Release(_handles, _handles.Length);
    }

    private static void Release(SafeHandle[] handles, int count)
    {
        for (var i = 0; i < count; i++)
        {
            handles[i].DangerousRelease();
        }
    }
}
