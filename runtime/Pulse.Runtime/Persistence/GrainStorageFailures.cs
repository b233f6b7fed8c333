using System.Data.Common;

namespace Pulse.Runtime.Persistence;

/// <summary>
/// Turns a database provider's failures into <see cref="GrainStorageException"/>, so callers (the
/// gateway answering 503, a grain deciding to retry) can tell "the store is down" from a bug without
/// knowing which database is behind the store.
/// </summary>
public static class GrainStorageFailures
{
    /// <summary>The exception to throw for <paramref name="failure"/> during <paramref name="operation"/> of a grain's state.</summary>
    private static GrainStorageException StoreFailed(string provider, string operation, string stateName, GrainId grainId, DbException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return new GrainStorageException(
            $"The {provider} grain store failed to {operation} state '{stateName}' of grain {grainId}: {failure.Message}", failure);
    }

    /// <summary>
    /// Awaits <paramref name="operation"/> (one read, write or clear of a provider) and rethrows a
    /// database failure as <see cref="GrainStorageException"/>; other exceptions (an ETag conflict,
    /// cancellation) pass through unchanged.
    /// </summary>
    public static async Task GuardAsync(Task operation, string provider, string operationName, string stateName, GrainId grainId)
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            await operation.ConfigureAwait(false);
        }
        catch (DbException exception)
        {
            throw StoreFailed(provider, operationName, stateName, grainId, exception);
        }
    }

    /// <summary>The exception to throw for <paramref name="failure"/> while listing states of <paramref name="grainType"/>.</summary>
    public static GrainStorageException ListFailed(string stateName, GrainType grainType, DbException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return new GrainStorageException(
            $"The grain store failed to list state '{stateName}' of grain type {grainType}: {failure.Message}", failure);
    }
}
