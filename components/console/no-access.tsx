import { EmptyState } from "@/components/ui/states";
import { IconShield } from "@/components/ui/icons";

export function NoAccess({ role }: { role: string }) {
  return (
    <EmptyState
      title="You don't have access to this page"
      icon={<IconShield className="size-10" />}
    >
      It needs the {role} role. Ask an admin if you need it.
    </EmptyState>
  );
}
