namespace Pulse.Grains.RateLimiting;

/// <summary>
/// The persisted state of one client key. Most keys are checked against a single limit, so the first
/// window is held inline and a dictionary is only allocated for a second one: an idle key then costs
/// its activation plus a few small objects.
/// </summary>
public sealed class RateLimiterState
{
    /// <summary>Name of the inline window; null when the key has none.</summary>
    public string? FirstWindow { get; set; }

    /// <summary>State of <see cref="FirstWindow"/>.</summary>
    public RateLimitWindowState? FirstState { get; set; }

    /// <summary>Windows beyond the first, by name.</summary>
    public Dictionary<string, RateLimitWindowState>? OtherWindows { get; set; }

    /// <summary>Manual block and penalty history of the key.</summary>
    public RateLimitPenaltyState? Penalty { get; set; }

    /// <summary>Finds a window's state, or creates it when <paramref name="create"/> is set.</summary>
    public RateLimitWindowState? Find(string window, bool create)
    {
        if (FirstWindow is null)
        {
            if (!create)
            {
                return null;
            }

            FirstWindow = window;
            return FirstState = new RateLimitWindowState();
        }

        if (string.Equals(FirstWindow, window, StringComparison.Ordinal))
        {
            return FirstState ??= new RateLimitWindowState();
        }

        if (OtherWindows is not null && OtherWindows.TryGetValue(window, out RateLimitWindowState? state))
        {
            return state;
        }

        if (!create)
        {
            return null;
        }

        state = new RateLimitWindowState();
        (OtherWindows ??= new Dictionary<string, RateLimitWindowState>(StringComparer.Ordinal))[window] = state;
        return state;
    }

    /// <summary>Every window and its state.</summary>
    public IEnumerable<(string Window, RateLimitWindowState State)> Windows()
    {
        if (FirstWindow is not null && FirstState is not null)
        {
            yield return (FirstWindow, FirstState);
        }

        if (OtherWindows is not null)
        {
            foreach ((string window, RateLimitWindowState state) in OtherWindows)
            {
                yield return (window, state);
            }
        }
    }

    /// <summary>Forgets every window (penalty and block are kept).</summary>
    public void ClearWindows()
    {
        FirstWindow = null;
        FirstState = null;
        OtherWindows = null;
    }

    /// <summary>Forgets one window.</summary>
    public bool RemoveWindow(string window)
    {
        if (string.Equals(FirstWindow, window, StringComparison.Ordinal))
        {
            FirstWindow = null;
            FirstState = null;
            if (OtherWindows is { Count: > 0 })
            {
                // Promote another window so the inline slot stays the one in use.
                (string name, RateLimitWindowState state) = OtherWindows.First();
                OtherWindows.Remove(name);
                FirstWindow = name;
                FirstState = state;
                if (OtherWindows.Count == 0)
                {
                    OtherWindows = null;
                }
            }

            return true;
        }

        bool removed = OtherWindows?.Remove(window) ?? false;
        if (OtherWindows is { Count: 0 })
        {
            OtherWindows = null;
        }

        return removed;
    }
}
