using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Storage;

/// <summary>The record the compliance tests hand to a provider.</summary>
public sealed class TestGrainState<TState>(TState state) : IGrainState<TState>
{
    public TState State { get; set; } = state;

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}

/// <summary>A state with the shapes real grains use: nested objects, lists, dictionaries, unicode text.</summary>
public sealed class ComplianceState
{
    public string Name { get; set; } = string.Empty;

    public int Count { get; set; }

    public List<string> Tags { get; set; } = [];

    public ComplianceAddress? Address { get; set; }

    public Dictionary<string, List<long>> Scores { get; set; } = [];

    public static ComplianceState CreateRich(string name, int count) => new()
    {
        Name = name,
        Count = count,
        Tags = ["alpha", "Zoë", "東京", "🚀 launch", "quote \" and back\\slash", string.Empty],
        Address = new ComplianceAddress
        {
            City = "Kraków",
            Lines = ["ul. Floriańska 1", "3rd floor"],
            Previous = new ComplianceAddress { City = "Αθήνα", Lines = [] },
        },
        Scores = new Dictionary<string, List<long>>
        {
            ["p50"] = [1, 2, 3],
            ["p99"] = [long.MaxValue, -1],
            ["empty"] = [],
        },
    };
}

public sealed class ComplianceAddress
{
    public string City { get; set; } = string.Empty;

    public List<string> Lines { get; set; } = [];

    public ComplianceAddress? Previous { get; set; }
}
