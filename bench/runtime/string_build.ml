(* string_build: twin of string_build.pole-ir: 10^7 strings
   string_of_int i ^ string_of_int (n - i), their lengths summed. *)

let count = 10_000_000

let rec build i n total =
  if i = n then total
  else
    let s = string_of_int i ^ string_of_int (n - i) in
    build (i + 1) n (total + String.length s)

let () =
  let n = count in
  Printf.printf "string_build n=%d total_length=%d\n" n (build 0 n 0)
