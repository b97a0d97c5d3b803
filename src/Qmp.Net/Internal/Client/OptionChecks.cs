namespace Qmp.Net.Internal;

/// <summary>The checks the QMP and guest agent clients make of their options, in one place.</summary>
internal static class OptionChecks
{
    /// <summary>Throws unless <paramref name="value"/> is positive or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    /// <param name="value">The timeout.</param>
    /// <param name="name">The option's name, for the message.</param>
    public static void Timeout(TimeSpan value, string name)
    {
        if (value != System.Threading.Timeout.InfiniteTimeSpan && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException("options", value, $"{name} must be positive or Timeout.InfiniteTimeSpan.");
        }
    }

    /// <summary>Throws unless <paramref name="maxMessageBytes"/> is at least 1024.</summary>
    /// <param name="maxMessageBytes">The message size limit.</param>
    public static void MaxMessageBytes(int maxMessageBytes)
    {
        if (maxMessageBytes < 1024)
        {
            throw new ArgumentOutOfRangeException("options", maxMessageBytes, "MaxMessageBytes must be at least 1024.");
        }
    }

    /// <summary>Throws unless <paramref name="mode"/> is one of <see cref="QmpIoMode"/>'s values.</summary>
    /// <param name="mode">The I/O mode.</param>
    public static void IoMode(QmpIoMode mode)
    {
        if (mode is not (QmpIoMode.ThreadPool or QmpIoMode.DedicatedThread))
        {
            throw new ArgumentOutOfRangeException("options", mode, "IoMode must be QmpIoMode.ThreadPool or QmpIoMode.DedicatedThread.");
        }
    }

    /// <summary>Throws unless the clock is set.</summary>
    /// <param name="time">The clock.</param>
    public static void Clock(TimeProvider? time) => ArgumentNullException.ThrowIfNull(time, "TimeProvider");
}
