(* pipeline: twin of pipeline.pole-ir (and pipeline_hand.pole-ir): range,
   map, filter and fold over 10^7 ints.

   Pole's lists are arrays, so each stage builds an immutable array:
   Array.init, Array.map, Array.fold_left. OCaml 4.13 has no Array.filter;
   the stdlib's way to filter an array is through a sequence (Array.of_seq
   collects the kept elements in a list, then copies them into the array). *)

let count = 10_000_000

let () =
  let n = count and m = 1000003 in
  let mapped = Array.map (fun x -> (x * 7919 + 13) mod m) (Array.init n (fun i -> i)) in
  let kept = Array.of_seq (Seq.filter (fun x -> x mod 3 <> 0) (Array.to_seq mapped)) in
  let sum = Array.fold_left (fun acc x -> (acc * 31 + x) mod 1000000007) 0 kept in
  Printf.printf "pipeline n=%d kept=%d checksum=%d\n" n (Array.length kept) sum
