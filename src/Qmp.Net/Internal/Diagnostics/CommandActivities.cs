using System.Diagnostics;

namespace Qmp.Net.Internal;

/// <summary>The activities of a connection's commands in flight, while they are traced: an event that arrives meanwhile
/// is added to each of them. Its own lock; empty (and free) when nobody traces.</summary>
internal sealed class CommandActivities
{
    private readonly List<Activity> _activities = [];
    private int _count;

    public void Add(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        lock (_activities)
        {
            _activities.Add(activity);
            _count = _activities.Count;
        }
    }

    public void Remove(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        lock (_activities)
        {
            _activities.Remove(activity);
            _count = _activities.Count;
        }
    }

    public void AddEvent(string name)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        lock (_activities)
        {
            Telemetry.AddEventToActivities(_activities, name);
        }
    }
}
