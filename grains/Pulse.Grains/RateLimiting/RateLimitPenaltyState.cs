namespace Pulse.Grains.RateLimiting;

/// <summary>
/// What one key remembers about its offences: rejections counted towards a block, the current or last block,
/// and how many automatic blocks came in a row. All zeros (and no reason) is a key with a clean record.
/// </summary>
public sealed class RateLimitPenaltyState
{
    /// <summary>Rejections counted in the window that began at <see cref="CountStartMs"/>.</summary>
    public int Rejections { get; set; }

    /// <summary>When the first rejection of the current count was recorded (Unix ms).</summary>
    public long CountStartMs { get; set; }

    /// <summary>When the current or last block ends (Unix ms); the key is blocked while now is before it.</summary>
    public long BlockedUntilMs { get; set; }

    /// <summary>How long the last automatic block lasted, in milliseconds.</summary>
    public long LastBlockMs { get; set; }

    /// <summary>Automatic blocks in a row, each twice as long as the one before; decays to 0 after good behaviour.</summary>
    public int Level { get; set; }

    /// <summary>Whether the current or last block was set by hand rather than earned.</summary>
    public bool Manual { get; set; }

    /// <summary>Why the key was blocked by hand; null for automatic blocks.</summary>
    public string? Reason { get; set; }
}
