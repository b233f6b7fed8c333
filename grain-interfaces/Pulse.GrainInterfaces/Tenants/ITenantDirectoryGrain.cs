using Pulse.Runtime;

namespace Pulse.GrainInterfaces.Tenants;

/// <summary>
/// The list of tenants (one grain, key <see cref="TenantDirectory.Key"/>): name uniqueness and paginated listing. Key
/// checks never call it; they go to the tenant grain named inside the key.
/// </summary>
[GrainType("pulse.tenant-directory")]
public interface ITenantDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Reserves a name and id for a tenant about to be created.</summary>
    Task<TenantReservation> ReserveAsync(string id, string name, DateTimeOffset createdAt);

    /// <summary>Removes an entry (a creation that failed after its reservation).</summary>
    Task RemoveAsync(string id);

    /// <summary>Records whether a tenant is disabled.</summary>
    Task SetDisabledAsync(string id, bool disabled);

    /// <summary>Up to <paramref name="limit"/> entries created after the one at <paramref name="afterSequence"/> (0: from the start).</summary>
    [ReadOnly]
    Task<TenantDirectoryPage> ListAsync(long afterSequence, int limit);
}

/// <summary>Where the tenant directory lives.</summary>
public static class TenantDirectory
{
    /// <summary>The one key <see cref="ITenantDirectoryGrain"/> is used with.</summary>
    public const string Key = "all";
}
