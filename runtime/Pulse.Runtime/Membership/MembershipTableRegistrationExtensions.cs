using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pulse.Runtime.Persistence;

namespace Pulse.Runtime.Membership;

/// <summary>
/// The registration step every membership table provider shares, so that each provider's
/// <c>UseXMembership</c> is safe to call twice and the last call wins: one table per silo.
/// </summary>
public static class MembershipTableRegistrationExtensions
{
    /// <summary>
    /// Registers the table that <paramref name="factory"/> creates as the singleton
    /// <see cref="IMembershipTable"/>, removing any earlier one, and makes the silo run its
    /// <see cref="IMembershipTable.InitializeAsync"/> at start (through <see cref="IStorageInitializer"/>).
    /// </summary>
    public static IServiceCollection ReplaceMembershipTable(this IServiceCollection services, Func<IServiceProvider, IMembershipTable> factory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        services.AddOptions();
        services.RemoveAll<IMembershipTable>();
        services.AddSingleton(factory);

        // One initializer whatever the number of calls: it resolves whichever table is registered last.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStorageInitializer, MembershipTableInitializer>());
        return services;
    }

    /// <summary>Initializes the registered membership table at silo start.</summary>
    private sealed class MembershipTableInitializer(IMembershipTable table) : IStorageInitializer
    {
        public string Name { get; } = "membership:" + table.GetType().Name;

        public Task InitializeAsync(CancellationToken cancellationToken) => table.InitializeAsync(cancellationToken);
    }
}
