using System.Linq;
using Pulse.Runtime.Generators.Model;

namespace Pulse.Runtime.Generators.Emit;

/// <summary>Emits the registration of one grain class: its grain interfaces and an activator.</summary>
internal static class GrainClassEmitter
{
    private const string Invocation = "global::Pulse.Runtime.Invocation";

    public static string Emit(GrainClassModel model, string generatedNamespace)
    {
        CodeWriter w = CodeWriter.CreateFile();
        w.Open($"namespace {generatedNamespace}");
        w.Line($"/// <summary>Generated registration and activator of <see cref=\"{model.FullName}\"/>.</summary>");
        w.Line(Names.GeneratedCodeAttribute);
        w.Open($"internal static class {model.ContainerName}");
        w.Open("internal static void Register()");
        w.Line($"{Invocation}.GeneratedCodeRegistry.RegisterGrainClass(new {Invocation}.GrainClassDescriptor(");
        w.Line($"    typeof({model.FullName}),");
        w.Line($"    new global::System.Type[] {{ {string.Join(", ", model.Interfaces.Select(i => $"typeof({i})"))} }},");
        w.Line("    static (global::System.IServiceProvider sp, global::Pulse.Runtime.IGrainContext ctx) =>");
        if (model.ConstructorArguments.Count == 0)
        {
            w.Line($"        new {model.FullName}()));");
        }
        else
        {
            w.Line($"        new {model.FullName}(");
            for (int i = 0; i < model.ConstructorArguments.Count; i++)
            {
                string separator = i == model.ConstructorArguments.Count - 1 ? ")));" : ",";
                w.Line($"            {model.ConstructorArguments[i]}{separator}");
            }
        }

        w.Close();
        w.Close();
        w.Close();
        return w.ToString();
    }
}
