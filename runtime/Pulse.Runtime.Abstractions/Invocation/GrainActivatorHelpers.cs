using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Invocation;

/// <summary>What generated grain activators call to resolve constructor parameters.</summary>
public static class GrainActivatorHelpers
{
    /// <summary>Resolves a required service.</summary>
    /// <exception cref="InvalidOperationException">The service is not registered.</exception>
    public static T GetRequiredService<T>(IServiceProvider services)
        where T : notnull =>
        services.GetService(typeof(T)) is T service
            ? service
            : throw new InvalidOperationException($"No service of type {typeof(T)} is registered; a grain constructor needs it.");

    /// <summary>Resolves an optional service (parameter with a default value).</summary>
    public static T? GetService<T>(IServiceProvider services) => services.GetService(typeof(T)) is T service ? service : default;

    /// <summary>Creates a persistent state for a <see cref="PersistentStateAttribute"/> parameter.</summary>
    public static IPersistentState<TState> GetPersistentState<TState>(IServiceProvider services, IGrainContext context, string stateName, string? storageName) =>
        GetRequiredService<IPersistentStateFactory>(services).Create<TState>(context, stateName, storageName);
}
