(* binary_trees: the benchmark game's binary-trees at depth 18; twin of
   binary_trees.pole-ir (same trees, same output). *)

type tree = Leaf | Node of tree * tree

let rec make depth =
  if depth = 0 then Node (Leaf, Leaf) else Node (make (depth - 1), make (depth - 1))

let rec check = function
  | Leaf -> 0
  | Node (l, r) -> 1 + check l + check r

let rec sum_checks iterations depth acc =
  if iterations = 0 then acc
  else sum_checks (iterations - 1) depth (acc + check (make depth))

let rec depths depth max_depth min_depth =
  if depth <= max_depth then begin
    let iterations = 1 lsl (max_depth - depth + min_depth) in
    let total = sum_checks iterations depth 0 in
    Printf.printf "%d\t trees of depth %d\t check: %d\n" iterations depth total;
    depths (depth + 2) max_depth min_depth
  end

let max_depth = 18

let () =
  let min_depth = 4 in
  let max_d = if max_depth < min_depth + 2 then min_depth + 2 else max_depth in
  let stretch = max_d + 1 in
  Printf.printf "stretch tree of depth %d\t check: %d\n" stretch (check (make stretch));
  let long_lived = make max_d in
  depths min_depth max_d min_depth;
  Printf.printf "long lived tree of depth %d\t check: %d\n" max_d (check long_lived)
