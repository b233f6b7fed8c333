namespace Pulse.Runtime.Persistence;

/// <summary>
/// Work a storage provider does once at silo start, before the silo accepts calls: create or migrate
/// its schema (versioned and idempotent), check connectivity. A failure stops the silo's start.
/// </summary>
public interface IStorageInitializer
{
    /// <summary>A name for logs, e.g. <c>sqlite:Default</c>.</summary>
    string Name { get; }

    /// <summary>Initializes the provider.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);
}
