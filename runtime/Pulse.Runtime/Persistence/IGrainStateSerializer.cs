namespace Pulse.Runtime.Persistence;

/// <summary>
/// Turns grain state into the UTF-8 JSON that storage providers store (PostgreSQL keeps it as
/// <c>jsonb</c> so operators can query it) and back.
/// </summary>
public interface IGrainStateSerializer
{
    /// <summary>Serializes a state to UTF-8 JSON.</summary>
    byte[] Serialize<TState>(TState state);

    /// <summary>Deserializes UTF-8 JSON written by <see cref="Serialize{TState}"/>.</summary>
    TState Deserialize<TState>(ReadOnlySpan<byte> utf8Json);
}

/// <summary>Creates the value a state has when no record exists.</summary>
public static class GrainStateDefaults
{
    /// <summary>A new instance for classes and structs with a parameterless constructor, else default.</summary>
    public static TState Create<TState>()
    {
        Type type = typeof(TState);
        if (type.IsValueType)
        {
            return default!;
        }

        if (type == typeof(string))
        {
            return (TState)(object)string.Empty;
        }

        return type.GetConstructor(Type.EmptyTypes) is not null ? Activator.CreateInstance<TState>() : default!;
    }
}
