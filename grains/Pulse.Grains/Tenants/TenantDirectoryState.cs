namespace Pulse.Grains.Tenants;

/// <summary>Persistent state of <see cref="TenantDirectoryGrain"/>.</summary>
public sealed class TenantDirectoryState
{
    /// <summary>The sequence number given to the last entry added.</summary>
    public long LastSequence { get; set; }

    /// <summary>Every tenant, in creation order.</summary>
    public List<TenantDirectoryRow> Tenants { get; set; } = [];
}

/// <summary>One tenant in the directory.</summary>
public sealed class TenantDirectoryRow
{
    /// <summary>Position in creation order.</summary>
    public long Sequence { get; set; }

    /// <summary>The tenant id.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>The name.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Whether it is disabled.</summary>
    public bool Disabled { get; set; }
}
