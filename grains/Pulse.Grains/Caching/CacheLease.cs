namespace Pulse.Grains.Caching;

/// <summary>
/// The stampede lease of one entry: the one caller allowed to recompute a missing or stale value, and
/// the signal that wakes callers waiting for it. Allocated only while someone asks for a lease.
/// </summary>
internal sealed class CacheLease(string token, long expiresAtUnixMs)
{
    private TaskCompletionSource? _changed;

    /// <summary>The token the holder writes with.</summary>
    public string Token { get; } = token;

    /// <summary>When the lease ends.</summary>
    public long ExpiresAtUnixMs { get; } = expiresAtUnixMs;

    /// <summary>Whether the lease is still held at <paramref name="nowUnixMs"/>.</summary>
    public bool IsHeld(long nowUnixMs) => nowUnixMs < ExpiresAtUnixMs;

    /// <summary>Completes when the entry is written or deleted.</summary>
    public Task Changed => (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Wakes every waiter.</summary>
    public void Signal() => _changed?.TrySetResult();
}
