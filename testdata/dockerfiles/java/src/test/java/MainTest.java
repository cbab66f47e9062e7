// Tests for Main, run with `java -ea` (no test framework: the image has
// only the JDK).
import java.util.List;
import java.util.Map;

public final class MainTest {
    private MainTest() {}

    public static void main(String[] args) {
        Map<String, Integer> counts = Main.count("b a B, a; b!");
        check(counts.equals(Map.of("a", 2, "b", 3)), "count: " + counts);
        check(Main.count("").isEmpty(), "count of nothing");
        List<Map.Entry<String, Integer>> top = Main.top(Main.count("x y y z z z"), 2);
        check(top.equals(List.of(Map.entry("z", 3), Map.entry("y", 2))), "top: " + top);
        System.out.println("MainTest: ok");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
