import { z } from "zod";

export const ROLE_VALUES = ["admin", "editor", "viewer"] as const;
export const RoleInput = z.enum(ROLE_VALUES, {
  message: 'Role must be "admin", "editor" or "viewer"',
});

export const MIN_PASSWORD_LENGTH = 12;

export const EmailInput = z
  .string({ message: "Email is required" })
  .trim()
  .toLowerCase()
  .max(254, "Email is too long")
  .pipe(z.email("Enter a valid email address"));

export const PasswordInput = z
  .string({ message: "Password is required" })
  .min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024, "Password is too long");

export const UserNameInput = z
  .string()
  .trim()
  .min(1, "Name is required")
  .max(100, "Name is too long");

export const CreateUserInput = z.object({
  email: EmailInput,
  name: UserNameInput,
  password: PasswordInput,
  role: RoleInput,
});
export type CreateUserInput = z.input<typeof CreateUserInput>;

export const UpdateUserInput = z
  .object({
    id: z.string().min(1),
    name: UserNameInput.optional(),
    role: RoleInput.optional(),
    disabled: z.boolean().optional(),
  })
  .refine((v) => v.name !== undefined || v.role !== undefined || v.disabled !== undefined, {
    message: "Nothing to change",
  });
export type UpdateUserInput = z.input<typeof UpdateUserInput>;
