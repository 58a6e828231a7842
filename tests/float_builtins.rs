//! Issue 24: the numeric builtins compiled to instructions keep the
//! reference's results at the edges (§ the Float builtins: `Float_min` and
//! `Float_max` are NaN if either operand is, else `a` unless the other is
//! smaller (larger); the rest are C's `fabs sqrt floor ceil round`): NaN,
//! signed zeros and halfway cases, in debug and release builds, with the
//! operands computed at run time so nothing is folded away.

use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

const PROGRAM: &str = r#"
func text(x: Float64) -> String :
  if x != x then "nan"
  else if x == 0.0 then (if 1.0 / x < 0.0 then "-0" else "+0")
  else float_to_string(x)

func show(label: String, x: Float64) -> Unit :
  print(label);
  print(" ");
  print(text(x));
  print("\n")

func main() -> Unit :
  // 1.0 from the argument count (none): not a constant to fold.
  let one = int_to_float(List.length(args()) + 1) in
  let zero = one - one in
  let neg_zero = -1.0 * zero in
  let nan = zero / zero in
  show("min(+0,-0)", Float.min(zero, neg_zero));
  show("min(-0,+0)", Float.min(neg_zero, zero));
  show("max(+0,-0)", Float.max(zero, neg_zero));
  show("max(-0,+0)", Float.max(neg_zero, zero));
  show("min(nan,1)", Float.min(nan, one));
  show("min(1,nan)", Float.min(one, nan));
  show("max(nan,1)", Float.max(nan, one));
  show("max(1,nan)", Float.max(one, nan));
  show("min(2,3)", Float.min(2.0 * one, 3.0 * one));
  show("max(2,3)", Float.max(2.0 * one, 3.0 * one));
  show("round(2.5)", Float.round(2.5 * one));
  show("round(-2.5)", Float.round(-2.5 * one));
  show("round(0.5)", Float.round(0.5 * one));
  show("round(-0.4)", Float.round(-0.4 * one));
  show("round(nan)", Float.round(nan));
  show("floor(-0)", Float.floor(neg_zero));
  show("floor(-1.5)", Float.floor(-1.5 * one));
  show("ceil(-0.5)", Float.ceil(-0.5 * one));
  show("ceil(1.25)", Float.ceil(1.25 * one));
  show("abs(-0)", Float.abs(neg_zero));
  show("abs(-3)", Float.abs(-3.0 * one));
  show("sqrt(-1)", Float.sqrt(0.0 - one));
  show("sqrt(-0)", Float.sqrt(neg_zero));
  show("sqrt(2.25)", Float.sqrt(2.25 * one))
"#;

const EXPECTED: &str = "min(+0,-0) +0
min(-0,+0) -0
max(+0,-0) +0
max(-0,+0) -0
min(nan,1) nan
min(1,nan) nan
max(nan,1) nan
max(1,nan) nan
min(2,3) 2.0
max(2,3) 3.0
round(2.5) 3.0
round(-2.5) -3.0
round(0.5) 1.0
round(-0.4) -0
round(nan) nan
floor(-0) -0
floor(-1.5) -2.0
ceil(-0.5) -0
ceil(1.25) 2.0
abs(-0) +0
abs(-3) 3.0
sqrt(-1) nan
sqrt(-0) -0
sqrt(2.25) 1.5
";

#[test]
fn float_builtins_keep_their_results_at_the_edges() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("f.pole-ir"), PROGRAM).expect("write");
    for mode in [&[][..], &["--release"][..]] {
        let built = Command::new(POLE)
            .args(["build", "f.pole-ir", "-o", "f"])
            .args(mode)
            .current_dir(tmp.path())
            .output()
            .expect("pole");
        assert!(
            built.status.success(),
            "{mode:?}: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        let run = Command::new(tmp.path().join("f")).output().expect("run");
        assert!(run.status.success(), "{mode:?}: exit {:?}", run.status);
        assert_eq!(String::from_utf8_lossy(&run.stdout), EXPECTED, "{mode:?}");
    }
}
