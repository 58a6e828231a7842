(* list_sort: twin of list_sort.pole-ir: mergesort of 10^6 pseudo-random ints
   on immutable lists (split deals alternately, merge accumulates and
   reverses once at the end, both tail-recursive). *)

let count = 1_000_000

let lcg s = (s * 1103515245 + 12345) mod 2147483648

(* In generation order, like List.push in the Pole program. *)
let random_list n =
  let rec go n s acc = if n = 0 then List.rev acc else let s2 = lcg s in go (n - 1) s2 (s2 :: acc) in
  go n 42 []

let rec split l next other =
  match l with
  | [] -> (next, other)
  | x :: rest -> split rest other (x :: next)

let rec merge a b acc =
  match a, b with
  | [], _ -> List.rev_append acc b
  | _, [] -> List.rev_append acc a
  | x :: xs, y :: ys -> if x <= y then merge xs b (x :: acc) else merge a ys (y :: acc)

let rec msort = function
  | ([] | [ _ ]) as l -> l
  | l ->
      let left, right = split l [] [] in
      merge (msort left) (msort right) []

let rec summarize l prev ok sum =
  match l with
  | [] -> (ok, sum)
  | x :: rest -> summarize rest x (ok && prev <= x) ((sum * 31 + x) mod 1000000007)

let () =
  let sorted = msort (random_list count) in
  let ok, sum = summarize sorted 0 true 0 in
  Printf.printf "list_sort n=%d sorted=%b checksum=%d\n" (List.length sorted) ok sum
